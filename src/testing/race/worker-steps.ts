import type { EventLine } from '../worker/line-protocol.js';
import type { HoldPoint, Holds } from './protocol.js';

const sleep = (ms: number): Promise<void> =>
  ms > 0 ? new Promise((resolve) => setTimeout(resolve, ms)) : Promise.resolve();

/**
 * A race worker's racy points and cost bookkeeping: a command held at a named point waits for
 * `go`; latencies are recorded without the delays the harness injects.
 */
export class WorkerSteps {
  readonly #held = new Map<string, () => void>();
  #reads: number[] = [];
  #writes: number[] = [];
  #loads = 0;

  constructor(private readonly send: (line: EventLine) => void) {}

  /**
   * A racy point: held (announce `loaded` with the point's tag, wait for `go`) when `holds` names
   * it, else a sleep of `delayMs`. Adds the time spent to `injected[0]`.
   */
  async pauseAt(holds: Holds | undefined, point: HoldPoint, delayMs: number, injected: number[]): Promise<void> {
    const started = performance.now();
    const tag = holds?.[point];
    if (tag === undefined) await sleep(delayMs);
    else
      await new Promise<void>((resolve) => {
        this.#held.set(tag, resolve);
        this.send({ event: 'loaded', tag });
      });
    injected[0]! += performance.now() - started;
  }

  /** Releases the command held with `tag`. */
  go(tag: string): void {
    this.#held.get(tag)?.();
    this.#held.delete(tag);
  }

  countLoad(): void {
    this.#loads += 1;
  }

  /** Runs one read or write, recording its latency without the injected delays (successful ones only). */
  async timed<T>(kind: 'read' | 'write', run: (injected: number[]) => Promise<T>): Promise<T> {
    const injected = [0];
    const started = performance.now();
    const result = await run(injected);
    const ms = Math.round((performance.now() - started - injected[0]!) * 100) / 100;
    (kind === 'read' ? this.#reads : this.#writes).push(ms);
    return result;
  }

  /** The costs since the last call, then resets them. */
  drain(): { reads: number[]; writes: number[]; loads: number } {
    const spent = { reads: this.#reads, writes: this.#writes, loads: this.#loads };
    this.#reads = [];
    this.#writes = [];
    this.#loads = 0;
    return spent;
  }
}
