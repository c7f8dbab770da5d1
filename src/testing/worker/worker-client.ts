import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { type EventLine, encodeLine, type FailureLine, parseWorkerLine, type ReplyLine } from './line-protocol.js';

/** How a {@link WorkerClient} names itself and builds its errors (a race worker throws RaceWorkerError). */
export interface WorkerClientOptions {
  /** In messages, e.g. `race worker`. */
  readonly name: string;
  /** @param failure the worker's own failure, when a command failed rather than timed out or the worker died. */
  readonly error?: (message: string, failure?: FailureLine) => Error;
  /** Bound on the `ready` event. @default 20_000 */
  readonly readyTimeoutMs?: number;
  /**
   * The command to send when a call gets no reply in time (the worker answers it with what its
   * commands in flight are doing); its result goes into the error. Bounded by 3 s.
   */
  readonly stallOp?: string;
}

const STDERR_KEPT = 4_000;
const STOP_GRACE_MS = 3_000;
const STALL_REPORT_MS = 3_000;

/**
 * The parent side of the line protocol (./line-protocol.ts): spawns `node entry ...args`, waits
 * for `ready`, matches replies to commands by id, buffers events until someone waits for them,
 * and bounds every wait; when the worker dies, everything pending rejects with its stderr tail.
 */
export class WorkerClient {
  #nextId = 1;
  readonly #pending = new Map<number, (reply: ReplyLine | Error) => void>();
  readonly #events: EventLine[] = [];
  readonly #eventWaiters: { match: (e: EventLine) => boolean; settle: (e: EventLine | Error) => void }[] = [];
  #stderr = '';
  #exit: Error | undefined;

  private constructor(
    readonly child: ChildProcessWithoutNullStreams,
    private readonly options: WorkerClientOptions,
  ) {
    createInterface({ input: child.stdout }).on('line', (line) => this.#onLine(line));
    child.stderr.on('data', (chunk: Buffer) => {
      this.#stderr = (this.#stderr + chunk.toString()).slice(-STDERR_KEPT);
    });
    child.once('exit', (code, signal) => {
      this.#exit = this.#error(`${this.#who()} exited (${signal ?? code}); stderr: ${this.stderrTail()}`);
      for (const settle of this.#pending.values()) settle(this.#exit);
      this.#pending.clear();
      for (const waiter of this.#eventWaiters.splice(0)) waiter.settle(this.#exit);
    });
  }

  /**
   * Spawns the worker and resolves once it announced `ready`.
   * @throws the options' error when it exits first or is not ready within `readyTimeoutMs`.
   */
  static async start(entry: string, args: readonly string[], options: WorkerClientOptions): Promise<WorkerClient> {
    const child = spawn(process.execPath, [entry, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
    const worker = new WorkerClient(child, options);
    try {
      await worker.nextEvent((e) => e.event === 'ready', options.readyTimeoutMs ?? 20_000);
    } catch (error) {
      child.kill('SIGKILL');
      throw error;
    }
    return worker;
  }

  get pid(): number {
    return this.child.pid ?? 0;
  }

  /** True once the process has exited. */
  get exited(): boolean {
    return this.#exit !== undefined;
  }

  /** Commands sent and not yet answered. */
  get pendingCalls(): number {
    return this.#pending.size;
  }

  /**
   * Sends `{ id, op, ...fields }` and resolves with the worker's `result`.
   * @throws the options' error (with the worker's failure) when it fails, gets no reply within
   *   `timeoutMs`, or the worker dies.
   */
  call<R = Record<string, unknown>>(op: string, fields: object = {}, timeoutMs = 60_000): Promise<R> {
    if (this.#exit) return Promise.reject(this.#error(`${this.#who()} has exited; stderr: ${this.stderrTail()}`));
    const id = this.#nextId++;
    return new Promise<R>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(id);
        void this.#stallReport().then((report) =>
          reject(
            this.#error(
              `${this.#who()}: ${op} got no reply within ${timeoutMs} ms${report}; stderr: ${this.stderrTail()}`,
            ),
          ),
        );
      }, timeoutMs);
      this.#pending.set(id, (reply) => {
        clearTimeout(timer);
        if (reply instanceof Error) reject(reply);
        else if (reply.ok) resolve((reply.result ?? {}) as R);
        else
          reject(
            this.#error(`${this.#who()}: ${op} failed: ${reply.error?.name}: ${reply.error?.message}`, reply.error),
          );
      });
      this.child.stdin.write(encodeLine({ ...fields, id, op }));
    });
  }

  /** `; in flight: <the stall command's result>`, or nothing when there is none or it got no answer either. */
  async #stallReport(): Promise<string> {
    const op = this.options.stallOp;
    if (op === undefined || this.#exit) return '';
    try {
      return `; in flight: ${JSON.stringify(await this.call(op, {}, STALL_REPORT_MS))}`;
    } catch {
      return '; in flight: (no answer to the stall report either)';
    }
  }

  /**
   * Resolves with the first event that matches, already received or still to come; each event
   * is delivered once. @throws the options' error after `timeoutMs` or when the worker dies.
   */
  nextEvent(match: (event: EventLine) => boolean, timeoutMs = 30_000): Promise<EventLine> {
    const seen = this.#events.findIndex(match);
    if (seen >= 0) return Promise.resolve(this.#events.splice(seen, 1)[0]!);
    if (this.#exit) return Promise.reject(this.#exit);
    return new Promise((resolve, reject) => {
      const waiter = {
        match,
        settle: (event: EventLine | Error) => {
          clearTimeout(timer);
          if (event instanceof Error) reject(event);
          else resolve(event);
        },
      };
      const timer = setTimeout(() => {
        this.#eventWaiters.splice(this.#eventWaiters.indexOf(waiter), 1);
        reject(this.#error(`${this.#who()}: no matching event within ${timeoutMs} ms; stderr: ${this.stderrTail()}`));
      }, timeoutMs);
      this.#eventWaiters.push(waiter);
    });
  }

  /** SIGSTOP: the process (and its ZooKeeper heartbeats) freezes. */
  pause(): void {
    this.child.kill('SIGSTOP');
  }

  /** SIGCONT. */
  resume(): void {
    this.child.kill('SIGCONT');
  }

  /**
   * Sends `closeOp` (when given) so the worker closes its connections, then SIGKILLs it if it has
   * not exited within 3 s; without `closeOp`, SIGKILLs at once. Idempotent.
   */
  async stop(closeOp?: string): Promise<void> {
    if (this.#exit) return;
    const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    this.resume();
    if (closeOp) this.call(closeOp, {}, STOP_GRACE_MS).catch(() => {});
    const timer = setTimeout(() => this.child.kill('SIGKILL'), closeOp ? STOP_GRACE_MS : 0);
    await exited;
    clearTimeout(timer);
  }

  stderrTail(): string {
    return this.#stderr.slice(-2_000);
  }

  #who(): string {
    return `${this.options.name} ${this.pid}`;
  }

  #error(message: string, failure?: FailureLine): Error {
    return this.options.error ? this.options.error(message, failure) : new Error(message);
  }

  #onLine(line: string): void {
    const message = parseWorkerLine(line);
    if (!message) return;
    if ('id' in message) {
      this.#pending.get(message.id)?.(message);
      this.#pending.delete(message.id);
      return;
    }
    const waiter = this.#eventWaiters.find((w) => w.match(message));
    if (waiter) {
      this.#eventWaiters.splice(this.#eventWaiters.indexOf(waiter), 1);
      waiter.settle(message);
    } else this.#events.push(message);
  }
}
