import { LockLostError } from '../errors.js';
import type { ServingEntry, WriteResult } from '../redis/entry.js';
import type { OrderedStore } from '../redis/ordered-store.js';
import type { CacheTracer } from '../tracing/cache-tracer.js';
import type { Lock } from '../zookeeper/held-lock.js';
import type { LockManager } from '../zookeeper/lock-manager.js';
import type { CacheResult } from './call-types.js';
import type { CacheEventEmitter } from './events.js';
import { type CheckedLoaderResult, checkLoaderResult, type Loader } from './loader-result.js';
import type { RedisTimer } from './timed-redis.js';

/** What the fill path needs from its cache. */
export interface FillContext<T> {
  store: OrderedStore<T>;
  locks: LockManager;
  events: CacheEventEmitter;
  tracer: CacheTracer;
  /** Times Redis round trips for the `redis` event. */
  timer: RedisTimer;
  /** The key's lock for a fill, or `undefined` to fill without it (ZooKeeper unreachable: see lockForFill). */
  lockForFill: (key: string) => Promise<Lock | undefined>;
  /**
   * With fail-open reads: the answer to serve, uncached, when a loaded row could not be written
   * because Redis is unavailable (`undefined`: rethrow the error).
   */
  servedUnwritten?: (key: string, loaded: CacheResult<T>, error: unknown) => CacheResult<T> | undefined;
  /** Called when a write of `key` settles, before its caller resumes (see InFlightReads). */
  onWriteSettled: (key: string) => void;
}

/**
 * The miss path of a read-through cache and the event reporting it shares with writes: take the
 * key's lock, re-check Redis, run the loader, write through the compare script, and serve what
 * Redis holds if a newer entry landed meanwhile.
 */
export class FillPath<T> {
  readonly #ctx: FillContext<T>;

  constructor(ctx: FillContext<T>) {
    this.#ctx = ctx;
  }

  /** Loads `key` under its lock (callers coalesce in-process first, with single-flight). */
  async load(key: string, loader: Loader<T>): Promise<CacheResult<T>> {
    const { events, tracer } = this.#ctx;
    const waitStart = performance.now();
    await using lock = await tracer.inSpan('zkoc lock wait', () => this.#ctx.lockForFill(key));
    const acquiredAt = performance.now();
    let signal: AbortSignal;
    if (lock) {
      events.emit('lock-acquired', { key, waitedMs: acquiredAt - waitStart });
      signal = lock.signal;
      signal.addEventListener('abort', () => this.reportLost(key, signal.reason), { once: true });
    } else {
      events.emit('bypass', { key, reason: 'zookeeper-unavailable' });
      signal = new AbortController().signal; // no lock to lose
    }
    try {
      return await this.#loadHolding(key, loader, signal);
    } finally {
      if (lock) events.emit('lock-released', { key, heldMs: performance.now() - acquiredAt });
    }
  }

  /**
   * Runs `fn` while holding the key's lock (a `zkoc lock wait` span around the wait), reporting
   * `lock-acquired`, `lock-released` and a loss; releases it whatever happens.
   */
  async holding<R>(
    key: string,
    options: { timeoutMs: number; signal?: AbortSignal },
    fn: (lock: Lock) => Promise<R> | R,
  ): Promise<R> {
    const { locks, events, tracer } = this.#ctx;
    const waitStart = performance.now();
    await using lock = await tracer.inSpan('zkoc lock wait', () => locks.acquire(key, options));
    const acquiredAt = performance.now();
    events.emit('lock-acquired', { key, waitedMs: acquiredAt - waitStart });
    lock.signal.addEventListener('abort', () => this.reportLost(key, lock.signal.reason), { once: true });
    try {
      return await fn(lock);
    } finally {
      events.emit('lock-released', { key, heldMs: performance.now() - acquiredAt });
    }
  }

  async #loadHolding(key: string, loader: Loader<T>, signal: AbortSignal): Promise<CacheResult<T>> {
    const { store, events, timer } = this.#ctx;
    // Someone may have filled the key while we queued for the lock: re-check before loading. The
    // same round trip reads the epoch our write will carry (docs/design.md "The epoch fence").
    const { entry: current, epoch } = await timer.read(store.readForFill(key));
    const fresh = this.servable(current);
    if (fresh) return fresh;
    const loadStart = performance.now();
    let raw: unknown;
    try {
      // The loader runs in its span's context: a database span it makes nests under it.
      raw = await this.#ctx.tracer.inSpan('zkoc loader', () => Promise.resolve(loader({ key, signal })));
    } catch (error) {
      events.emit('load', { key, durationMs: performance.now() - loadStart, error });
      throw error;
    }
    const result = checkLoaderResult<T>(key, raw);
    const durationMs = performance.now() - loadStart;
    if (result.kind === 'none') {
      events.emit('load', { key, durationMs });
      return { value: undefined, timestamp: undefined, source: 'loader', stale: false };
    }
    const timestamp = BigInt(result.timestamp);
    events.emit('load', { key, durationMs, timestamp });
    const loaded: CacheResult<T> = {
      value: result.kind === 'value' ? result.value : undefined,
      timestamp,
      source: 'loader',
      stale: false,
    };
    try {
      return await this.#fill(key, result, loaded, epoch);
    } catch (error) {
      // the load is done: with fail-open reads, a write Redis cannot take still answers the caller
      const served = this.#ctx.servedUnwritten?.(key, loaded, error);
      if (served) return served;
      throw error;
    }
  }

  /** Writes a loaded row through the compare script; serves the newer entry if ours was stale. */
  async #fill(
    key: string,
    result: Exclude<CheckedLoaderResult<T>, { kind: 'none' }>,
    loaded: CacheResult<T>,
    epoch: string,
  ): Promise<CacheResult<T>> {
    const { store } = this.#ctx;
    const timestamp = BigInt(result.timestamp);
    if (result.kind === 'missing') {
      const missing = await this.written(
        key,
        result.timestamp,
        'missing',
        'load',
        store.writeMissing(key, result.timestamp, { epoch }),
      );
      if (missing.status === 'stale') this.#reportRefusedFill(key, timestamp, await store.readForServing(key));
      return loaded;
    }
    const outcome = await this.written(
      key,
      result.timestamp,
      'value',
      'load',
      store.write(key, result.value, result.timestamp, { epoch }),
    );
    if (outcome.status === 'stale') {
      // A newer entry landed while we loaded, or Redis lost its data (epoch): serve what it holds
      // now if fresh, else the row we read, uncached.
      const stored = await store.readForServing(key);
      const newer = this.servable(stored);
      if (newer) return newer;
      this.#reportRefusedFill(key, timestamp, stored);
    }
    return loaded;
  }

  /** A fresh value or fresh "missing" as a result, or undefined when the entry must be loaded. */
  servable(entry: ServingEntry<T> | undefined): CacheResult<T> | undefined {
    if (!entry?.isFresh) return undefined;
    if (entry.kind === 'value') {
      this.#ctx.events.hit(entry.key, entry.timestamp, 'value');
      return { value: entry.value, timestamp: entry.timestamp, source: 'cache', stale: false };
    }
    if (entry.kind === 'missing') {
      this.#ctx.events.hit(entry.key, entry.timestamp, 'missing');
      return { value: undefined, timestamp: entry.timestamp, source: 'cache', stale: false };
    }
    return undefined;
  }

  /**
   * Awaits a write sent for `key`, reports its result (see {@link report}) and, whatever the
   * outcome, tells the cache the write settled before the caller resumes.
   */
  async written(
    key: string,
    timestamp: string,
    kind: 'value' | 'tombstone' | 'missing',
    source: 'load' | 'set' | 'invalidate',
    write: Promise<WriteResult>,
  ): Promise<WriteResult> {
    try {
      return await this.#ctx.tracer.inSpan(
        'zkoc script',
        async (span) => {
          const result = this.report(key, timestamp, kind, source, await this.#ctx.timer.write(write));
          span.setAttribute('zkoc.write.status', result.status);
          return result;
        },
        { operation: 'EVALSHA', attributes: { 'zkoc.timestamp': timestamp } },
      );
    } finally {
      this.#ctx.onWriteSettled(key);
    }
  }

  /** Emits `written`, `stale` or `duplicate` for a write's result, and returns the result. */
  report(
    key: string,
    timestamp: string,
    kind: 'value' | 'tombstone' | 'missing',
    source: 'load' | 'set' | 'invalidate',
    result: WriteResult,
  ): WriteResult {
    const { events } = this.#ctx;
    const attempted = BigInt(timestamp);
    if (result.status === 'written') events.emit('written', { key, timestamp: attempted, kind, source });
    else if (result.status === 'stale') {
      const { current, reason } = result;
      events.emit('stale', reason ? { key, attempted, current, source, reason } : { key, attempted, current, source });
    } else events.emit('duplicate', { key, timestamp: attempted, source });
    return result;
  }

  // A tombstone above the version the database gave us: every fill is refused until the database
  // catches up or the tombstone's retention ends, so the key is loaded on every read meanwhile.
  #reportRefusedFill(key: string, loaded: bigint, stored: ServingEntry<T> | undefined): void {
    if (stored?.kind === 'tombstone') this.#ctx.events.emit('fill-refused', { key, loaded, stored: stored.timestamp });
  }

  reportLost(key: string, reason: unknown): void {
    this.#ctx.events.emit('lock-lost', {
      key,
      reason: reason instanceof LockLostError ? reason.reason : String(reason),
    });
  }
}
