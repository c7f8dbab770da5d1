import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ZkocError } from '../../errors.js';
import { WorkerClient } from '../worker/worker-client.js';
import type { WorkerCommand, WorkerConfig } from './protocol.js';
import type { FailureShape } from './transient.js';

/** Thrown when a race worker fails a command, does not answer in time, or dies. */
export class RaceWorkerError extends ZkocError {
  /**
   * @param failure the error the worker's command failed with (name, code, message), when it
   *   failed rather than timed out or died: how a chaos run tells "server unavailable" from a bug.
   */
  constructor(
    message: string,
    readonly failure?: FailureShape,
  ) {
    super('E_RACE_WORKER', message);
  }
}

/**
 * The built worker entry: `worker.js` next to this module (dist/ or .build/), or, when this module
 * runs from TypeScript source (tests), the package's `dist/testing/race/worker.js`.
 */
export function defaultWorkerEntry(): string {
  const sibling = fileURLToPath(new URL('./worker.js', import.meta.url));
  if (existsSync(sibling)) return sibling;
  return fileURLToPath(new URL('../../../dist/testing/race/worker.js', import.meta.url));
}

/** A race worker process, driven over the line protocol (../worker/line-protocol.ts); one per run, reused across iterations. */
export class RaceWorker {
  private constructor(private readonly client: WorkerClient) {}

  /**
   * Spawns a worker and resolves once it is connected to all three servers.
   * @throws RaceWorkerError when it is not ready within `timeoutMs` (default 20 000) or exits.
   */
  static async start(entry: string, config: WorkerConfig, timeoutMs = 20_000): Promise<RaceWorker> {
    if (!existsSync(entry))
      throw new RaceWorkerError(`race worker entry ${entry} does not exist: build the package first (npm run build)`);
    const client = await WorkerClient.start(entry, [JSON.stringify(config)], {
      name: 'race worker',
      error: (message, failure) => new RaceWorkerError(message, failure),
      readyTimeoutMs: timeoutMs,
      stallOp: 'dump',
    });
    return new RaceWorker(client);
  }

  get pid(): number {
    return this.client.pid;
  }

  /** Sends a command; resolves with the worker's result. @throws RaceWorkerError */
  call<R = Record<string, unknown>>(command: WorkerCommand, timeoutMs = 60_000): Promise<R> {
    return this.client.call<R>(command.op, command, timeoutMs);
  }

  /** Resolves when a read held with `holdTag` has loaded its row. @throws RaceWorkerError after `timeoutMs` */
  async loaded(tag: string, timeoutMs = 30_000): Promise<void> {
    await this.client.nextEvent((e) => e.event === 'loaded' && e.tag === tag, timeoutMs);
  }

  /**
   * Resolves once no command sent with {@link call} is awaiting its reply (at once when none is), or
   * after `timeoutMs` (default 60 000): lets a failed iteration's other calls finish before its end state is read.
   */
  async idle(timeoutMs = 60_000): Promise<void> {
    const deadline = performance.now() + timeoutMs;
    while (this.client.pendingCalls > 0 && !this.client.exited && performance.now() < deadline)
      await new Promise((resolve) => setTimeout(resolve, 10));
  }

  /** SIGSTOP: the process (and its ZooKeeper heartbeats) freezes. */
  pause(): void {
    this.client.pause();
  }

  /** SIGCONT. */
  resume(): void {
    this.client.resume();
  }

  /** Asks the worker to close its connections, then kills it if it has not exited within 3 s. Idempotent. */
  stop(): Promise<void> {
    return this.client.stop('close');
  }

  stderrTail(): string {
    return this.client.stderrTail();
  }
}
