import type { CacheEventEmitter } from './events.js';

/**
 * How many serving reads one timed read stands for. Timing a read (two clock reads, a callback, a
 * histogram observe) cost more than a tenth of a hit's CPU time; one in 16 keeps the latency
 * distribution while the hit path pays for it once in 16 calls. Writes are all timed.
 */
export const READ_TIMING_EVERY = 16;

/**
 * Reports Redis round trips' durations as `redis` events, only when someone listens (the metrics
 * module does): every compare-script write, and one serving read in {@link READ_TIMING_EVERY}
 * (the first, the 17th, …: deterministic, per cache).
 */
export class RedisTimer {
  readonly #events: CacheEventEmitter;
  #reads = 0;

  constructor(events: CacheEventEmitter) {
    this.#events = events;
  }

  read<R>(sent: Promise<R>): Promise<R> {
    if (!this.#events.listens('redis') || this.#reads++ % READ_TIMING_EVERY !== 0) return sent;
    return this.#timed('read', sent);
  }

  write<R>(sent: Promise<R>): Promise<R> {
    if (!this.#events.listens('redis')) return sent;
    return this.#timed('write', sent);
  }

  // Observed beside the command, not in its chain: callers await `sent` itself (no extra promise
  // hop per timed call), and the handler, registered first, still reports before they resume.
  #timed<R>(op: 'read' | 'write', sent: Promise<R>): Promise<R> {
    const events = this.#events;
    const startedAt = performance.now();
    sent.then(
      () => events.emit('redis', { op, durationMs: performance.now() - startedAt }),
      (error: unknown) => events.emit('redis', { op, durationMs: performance.now() - startedAt, error }),
    );
    return sent;
  }
}
