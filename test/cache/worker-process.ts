import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { EventLine, FailureLine } from '../../src/testing/worker/line-protocol.js';
import { WorkerClient } from '../../src/testing/worker/worker-client.js';

const WORKER = fileURLToPath(new URL('../fixtures/cache-worker.mjs', import.meta.url));

/** A failed worker command; `worker` is the worker's own error. */
export class WorkerCommandError extends Error {
  constructor(
    message: string,
    readonly worker?: FailureLine,
  ) {
    super(message);
  }
}

/**
 * A cache worker in its own process (test/fixtures/cache-worker.mjs, running the built library),
 * over the one line protocol (src/testing/worker/line-protocol.ts).
 */
export class WorkerProcess {
  private constructor(private readonly client: WorkerClient) {}

  static async start(config: Record<string, unknown>, timeoutMs = 15_000): Promise<WorkerProcess> {
    const client = await WorkerClient.start(WORKER, [JSON.stringify(config)], {
      name: 'cache worker',
      error: (message, failure) => new WorkerCommandError(message, failure),
      readyTimeoutMs: timeoutMs,
    });
    return new WorkerProcess(client);
  }

  get pid(): number {
    return this.client.pid;
  }

  get child(): ChildProcessWithoutNullStreams {
    return this.client.child;
  }

  /** Sends a command and resolves with the worker's `result`, or rejects with its error. */
  call(op: string, args: Record<string, unknown> = {}, timeoutMs = 30_000): Promise<Record<string, unknown>> {
    return this.client.call(op, args, timeoutMs);
  }

  /** Resolves with the first event (already received or future) that matches; each event is delivered once. */
  nextEvent(match: (m: EventLine) => boolean, timeoutMs = 15_000): Promise<EventLine> {
    return this.client.nextEvent(match, timeoutMs);
  }

  /** SIGKILLs the worker (resuming it first if it was stopped). Idempotent. */
  stop(): Promise<void> {
    return this.client.stop();
  }
}
