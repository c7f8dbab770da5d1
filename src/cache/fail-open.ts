import { assertValidKey } from '../core/key.js';
import { ConnectionError } from '../errors.js';
import { abortable, type CacheResult } from './call-types.js';
import { CircuitBreaker } from './circuit-breaker.js';
import type { CacheEventEmitter } from './events.js';
import { checkLoaderResult, type Loader } from './loader-result.js';
import { SingleFlight } from './single-flight.js';

/** Why a read skipped Redis (see the `bypass` event). */
export type RedisBypassReason = 'redis-unavailable' | 'circuit-open';

/** True for the failures that mean "Redis cannot answer now" (timeouts, closed links, CLUSTERDOWN…). */
export function isRedisUnavailable(error: unknown): boolean {
  return error instanceof ConnectionError && error.server === 'redis';
}

export interface FailOpenContext {
  events: CacheEventEmitter;
  /** A read of `key` through Redis: the probe, so that a Cluster's failed slot is the one checked. */
  probe: (key: string) => Promise<unknown>;
  probeIntervalMs: number;
}

/**
 * `onCacheUnavailable: 'load'`: when Redis cannot answer, reads return the loader's answer without
 * caching it. The first failure opens a {@link CircuitBreaker}; while it is open, reads skip Redis at
 * once and a background probe re-reads the key that failed until Redis answers again. Loads that
 * bypass Redis are coalesced per key in this process, like fills, and take no lock: nothing is
 * written, so there is nothing to order.
 */
export class FailOpenReads<T> {
  readonly #ctx: FailOpenContext;
  readonly #breaker: CircuitBreaker;
  readonly #loads = new SingleFlight<CacheResult<T>>();
  #probeKey = '';

  constructor(ctx: FailOpenContext) {
    this.#ctx = ctx;
    this.#breaker = new CircuitBreaker({
      probeIntervalMs: ctx.probeIntervalMs,
      // any answer but "unavailable" (even ForeignEntryError) means Redis is back
      probe: () =>
        ctx.probe(this.#probeKey).catch((error: unknown) => {
          if (isRedisUnavailable(error)) throw error;
        }),
    });
  }

  /**
   * `readThrough` (the cache's normal read) unless the breaker is open; the loader's answer,
   * uncached, when Redis is known to be down or fails this read.
   */
  async read(
    key: string,
    loader: Loader<T>,
    signal: AbortSignal | undefined,
    readThrough: () => Promise<CacheResult<T>>,
  ): Promise<CacheResult<T>> {
    if (this.#breaker.open) {
      assertValidKey(key);
      return abortable(this.bypass(key, loader, 'circuit-open'), signal);
    }
    try {
      return await readThrough();
    } catch (error) {
      return abortable(this.recover(key, loader, error), signal);
    }
  }

  /**
   * Handles a failed read-through of `key`: rethrows anything but Redis being unavailable; else
   * opens the breaker and returns the loader's answer, uncached.
   */
  recover(key: string, loader: Loader<T>, error: unknown): Promise<CacheResult<T>> {
    if (!isRedisUnavailable(error)) return Promise.reject(error);
    this.#trip(key);
    return this.bypass(key, loader, 'redis-unavailable');
  }

  /**
   * A fill loaded `loaded` but Redis failed its write: serve it uncached (no second load) and open
   * the breaker. `undefined` for any other error, which the fill rethrows.
   */
  servedUnwritten(key: string, loaded: CacheResult<T>, error: unknown): CacheResult<T> | undefined {
    if (!isRedisUnavailable(error)) return undefined;
    this.#trip(key);
    this.#ctx.events.emit('bypass', { key, reason: 'redis-unavailable' });
    return loaded;
  }

  #trip(key: string): void {
    if (!this.#breaker.open) this.#probeKey = key;
    this.#breaker.trip();
  }

  /** Runs the loader for `key` (joining one in flight) and returns its answer without writing it. */
  bypass(key: string, loader: Loader<T>, reason: RedisBypassReason): Promise<CacheResult<T>> {
    this.#ctx.events.emit('bypass', { key, reason });
    return this.#loads.run(key, () => this.#load(key, loader)).promise;
  }

  dispose(): void {
    this.#breaker.dispose();
  }

  async #load(key: string, loader: Loader<T>): Promise<CacheResult<T>> {
    const { events } = this.#ctx;
    const started = performance.now();
    let raw: unknown;
    try {
      // no lock is held, so nothing can be lost: the signal never aborts
      raw = await loader({ key, signal: new AbortController().signal });
    } catch (error) {
      events.emit('load', { key, durationMs: performance.now() - started, error });
      throw error;
    }
    const result = checkLoaderResult<T>(key, raw);
    const durationMs = performance.now() - started;
    if (result.kind === 'none') {
      events.emit('load', { key, durationMs });
      return { value: undefined, timestamp: undefined, source: 'loader', stale: false };
    }
    const timestamp = BigInt(result.timestamp);
    events.emit('load', { key, durationMs, timestamp });
    const value = result.kind === 'value' ? result.value : undefined;
    return { value, timestamp, source: 'loader', stale: false };
  }
}
