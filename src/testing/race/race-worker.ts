import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { ZkocError } from '../../errors.js';
import type { WorkerCommand, WorkerConfig, WorkerLine } from './protocol.js';
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

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

/** A race worker process, driven over stdin/stdout JSON lines (one per run, reused across iterations). */
export class RaceWorker {
  #nextId = 1;
  readonly #pending = new Map<number, { resolve: (m: WorkerLine) => void; reject: (e: Error) => void }>();
  readonly #loaded = new Map<string, { resolve: () => void; reject: (e: Error) => void }>();
  readonly #seenLoaded = new Set<string>();
  readonly #stderr: string[] = [];
  #exited = false;

  private constructor(readonly child: ChildProcessWithoutNullStreams) {
    createInterface({ input: child.stdout }).on('line', (line) => this.#onLine(line));
    child.stderr.on('data', (chunk: Buffer) => {
      this.#stderr.push(chunk.toString());
      if (this.#stderr.length > 50) this.#stderr.shift();
    });
    child.once('exit', (code, signal) => {
      this.#exited = true;
      const error = new RaceWorkerError(
        `race worker ${child.pid} exited (${signal ?? code}); stderr: ${this.stderrTail()}`,
      );
      for (const { reject } of [...this.#pending.values(), ...this.#loaded.values()]) reject(error);
      this.#pending.clear();
      this.#loaded.clear();
    });
  }

  /**
   * Spawns a worker and resolves once it is connected to all three servers.
   * @throws RaceWorkerError when it is not ready within `timeoutMs` (default 20 000) or exits.
   */
  static async start(entry: string, config: WorkerConfig, timeoutMs = 20_000): Promise<RaceWorker> {
    if (!existsSync(entry))
      throw new RaceWorkerError(`race worker entry ${entry} does not exist: build the package first (npm run build)`);
    const child = spawn(process.execPath, [entry, JSON.stringify(config)], { stdio: ['pipe', 'pipe', 'pipe'] });
    const worker = new RaceWorker(child);
    await worker.#waitFor('ready', timeoutMs);
    return worker;
  }

  get pid(): number {
    return this.child.pid!;
  }

  /** Sends a command; resolves with the worker's result. @throws RaceWorkerError */
  call<R = Record<string, unknown>>(command: DistributiveOmit<WorkerCommand, never>, timeoutMs = 60_000): Promise<R> {
    const id = this.#nextId++;
    return new Promise<R>((resolve, reject) => {
      if (this.#exited)
        return reject(new RaceWorkerError(`race worker ${this.pid} has exited; stderr: ${this.stderrTail()}`));
      const timer = setTimeout(() => {
        this.#pending.delete(id);
        reject(
          new RaceWorkerError(
            `race worker ${this.pid}: ${command.op} got no reply within ${timeoutMs} ms; stderr: ${this.stderrTail()}`,
          ),
        );
      }, timeoutMs);
      this.#pending.set(id, {
        resolve: (message) => {
          clearTimeout(timer);
          if (message.ok) resolve((message.result ?? {}) as R);
          else
            reject(
              new RaceWorkerError(
                `race worker ${this.pid}: ${command.op} failed: ${message.error?.name}: ${message.error?.message}`,
                message.error,
              ),
            );
        },
        reject: (error) => {
          clearTimeout(timer);
          reject(error);
        },
      });
      this.child.stdin.write(`${JSON.stringify({ id, ...command })}\n`);
    });
  }

  /** Resolves when a read held with `holdTag` has loaded its row. @throws RaceWorkerError after `timeoutMs` */
  loaded(tag: string, timeoutMs = 30_000): Promise<void> {
    return this.#waitFor(tag, timeoutMs);
  }

  /**
   * Resolves once no command sent with {@link call} is awaiting its reply (at once when none is), or
   * after `timeoutMs` (default 60 000): lets a failed iteration's other calls finish before its end state is read.
   */
  async idle(timeoutMs = 60_000): Promise<void> {
    const deadline = performance.now() + timeoutMs;
    while (this.#pending.size > 0 && !this.#exited && performance.now() < deadline)
      await new Promise((resolve) => setTimeout(resolve, 10));
  }

  /** SIGSTOP: the process (and its ZooKeeper heartbeats) freezes. */
  pause(): void {
    this.child.kill('SIGSTOP');
  }

  /** SIGCONT. */
  resume(): void {
    this.child.kill('SIGCONT');
  }

  /** Asks the worker to close its connections, then kills it if it has not exited within 3 s. Idempotent. */
  async stop(): Promise<void> {
    if (this.#exited) return;
    const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    this.resume();
    this.call({ op: 'close' }, 3_000).catch(() => {});
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 3_000);
    await exited;
    clearTimeout(timer);
  }

  stderrTail(): string {
    return this.#stderr.join('').slice(-2_000);
  }

  #waitFor(tag: string, timeoutMs: number): Promise<void> {
    if (this.#seenLoaded.delete(tag)) return Promise.resolve();
    if (this.#exited)
      return Promise.reject(
        new RaceWorkerError(`race worker ${this.child.pid} exited before "${tag}"; stderr: ${this.stderrTail()}`),
      );
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#loaded.delete(tag);
        reject(
          new RaceWorkerError(
            `race worker ${this.child.pid}: no "${tag}" within ${timeoutMs} ms; stderr: ${this.stderrTail()}`,
          ),
        );
      }, timeoutMs);
      this.#loaded.set(tag, {
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
        reject: (error) => {
          clearTimeout(timer);
          reject(error);
        },
      });
    });
  }

  #onLine(line: string): void {
    let message: WorkerLine;
    try {
      message = JSON.parse(line) as WorkerLine;
    } catch {
      return;
    }
    if (message.id !== undefined) {
      this.#pending.get(message.id)?.resolve(message);
      this.#pending.delete(message.id);
      return;
    }
    const tag = message.event === 'ready' ? 'ready' : message.tag;
    if (tag === undefined) return;
    const waiter = this.#loaded.get(tag);
    if (waiter) {
      this.#loaded.delete(tag);
      waiter.resolve();
    } else this.#seenLoaded.add(tag);
  }
}
