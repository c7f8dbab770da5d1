import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const WORKER = fileURLToPath(new URL('../fixtures/cache-worker.mjs', import.meta.url));

export interface WorkerMessage {
  id?: number;
  ok?: boolean;
  result?: Record<string, unknown>;
  error?: { name: string; code?: string; message: string };
  event?: string;
  tag?: string;
  data?: Record<string, unknown>;
}

/** A cache worker in its own process (test/fixtures/cache-worker.mjs, running the built library). */
export class WorkerProcess {
  readonly events: WorkerMessage[] = [];
  #nextId = 1;
  readonly #pending = new Map<number, (message: WorkerMessage) => void>();
  readonly #eventWaiters: { match: (m: WorkerMessage) => boolean; resolve: (m: WorkerMessage) => void }[] = [];
  readonly #stderr: string[] = [];

  private constructor(readonly child: ChildProcessWithoutNullStreams) {
    createInterface({ input: child.stdout }).on('line', (line) => this.#onLine(line));
    child.stderr.on('data', (chunk: Buffer) => this.#stderr.push(chunk.toString()));
  }

  static async start(config: Record<string, unknown>, timeoutMs = 15_000): Promise<WorkerProcess> {
    const child = spawn(process.execPath, [WORKER, JSON.stringify(config)], { stdio: ['pipe', 'pipe', 'pipe'] });
    const worker = new WorkerProcess(child);
    await worker.nextEvent((m) => m.event === 'ready', timeoutMs);
    return worker;
  }

  get pid(): number {
    return this.child.pid!;
  }

  /** Sends a command and resolves with the worker's `result`, or rejects with its error. */
  call(op: string, args: Record<string, unknown> = {}, timeoutMs = 30_000): Promise<Record<string, unknown>> {
    const id = this.#nextId++;
    this.child.stdin.write(`${JSON.stringify({ id, op, ...args })}\n`);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () =>
          reject(
            new Error(
              `worker ${this.pid}: ${op} got no reply within ${timeoutMs} ms; stderr: ${this.#stderr.join('')}`,
            ),
          ),
        timeoutMs,
      );
      this.#pending.set(id, (message) => {
        clearTimeout(timer);
        if (message.ok) resolve(message.result ?? {});
        else
          reject(Object.assign(new Error(`worker ${op} failed: ${message.error?.message}`), { worker: message.error }));
      });
    });
  }

  /** Resolves with the first event (already seen or future) that matches. */
  nextEvent(match: (m: WorkerMessage) => boolean, timeoutMs = 15_000): Promise<WorkerMessage> {
    const seen = this.events.find(match);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () =>
          reject(
            new Error(
              `worker ${this.child.pid}: no matching event within ${timeoutMs} ms; stderr: ${this.#stderr.join('')}`,
            ),
          ),
        timeoutMs,
      );
      this.#eventWaiters.push({
        match,
        resolve: (m) => {
          clearTimeout(timer);
          resolve(m);
        },
      });
    });
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise((resolve) => this.child.once('exit', resolve));
    this.child.kill('SIGCONT');
    this.child.kill('SIGKILL');
    await exited;
  }

  #onLine(line: string): void {
    let message: WorkerMessage;
    try {
      message = JSON.parse(line) as WorkerMessage;
    } catch {
      return;
    }
    if (message.id !== undefined) {
      this.#pending.get(message.id)?.(message);
      this.#pending.delete(message.id);
      return;
    }
    this.events.push(message);
    for (const waiter of [...this.#eventWaiters]) {
      if (waiter.match(message)) {
        this.#eventWaiters.splice(this.#eventWaiters.indexOf(waiter), 1);
        waiter.resolve(message);
      }
    }
  }
}
