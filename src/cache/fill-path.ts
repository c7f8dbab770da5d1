import { LockLostError } from '../errors.js';
import type { ServingEntry, WriteResult } from '../redis/entry.js';
import type { OrderedStore } from '../redis/ordered-store.js';
import type { Lock } from '../zookeeper/held-lock.js';
import type { CacheResult } from './call-types.js';
import type { CacheEventEmitter } from './events.js';
import { type CheckedLoaderResult, checkLoaderResult, type Loader } from './loader-result.js';

/** What the fill path needs from its cache. */
export interface FillContext<T> {
  store: OrderedStore<T>;
  events: CacheEventEmitter;
  /** The key's lock, or `undefined` to fill without it (ZooKeeper unreachable: see lockForFill). */
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
    const { store, events } = this.#ctx;
    const waitStart = performance.now();
    await using lock = await this.#ctx.lockForFill(key);
    let signal: AbortSignal;
    if (lock) {
      events.emit('lock-acquired', { key, waitedMs: performance.now() - waitStart });
      signal = lock.signal;
      signal.addEventListener('abort', () => this.reportLost(key, signal.reason), { once: true });
    } else {
      events.emit('bypass', { key, reason: 'zookeeper-unavailable' });
      signal = new AbortController().signal; // no lock to lose
    }
    // Someone may have filled the key while we queued for the lock: re-check before loading.
    const current = await store.readForServing(key);
    const fresh = this.servable(current);
    if (fresh) return fresh;
    const loadStart = performance.now();
    let raw: unknown;
    try {
      raw = await loader({ key, signal });
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
      return await this.#fill(key, result, loaded);
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
  ): Promise<CacheResult<T>> {
    const { store } = this.#ctx;
    if (result.kind === 'missing') {
      await this.written(key, result.timestamp, 'missing', 'load', store.writeMissing(key, result.timestamp));
      return loaded;
    }
    const outcome = await this.written(
      key,
      result.timestamp,
      'value',
      'load',
      store.write(key, result.value, result.timestamp),
    );
    if (outcome.status === 'stale') {
      // A newer entry landed while we loaded: serve it rather than the older row we read.
      const newer = this.servable(await store.readForServing(key));
      if (newer) return newer;
    }
    return loaded;
  }

  /** A fresh value or fresh "missing" as a result, or undefined when the entry must be loaded. */
  servable(entry: ServingEntry<T> | undefined): CacheResult<T> | undefined {
    if (!entry?.isFresh) return undefined;
    if (entry.kind === 'value') {
      this.#ctx.events.emit('hit', { key: entry.key, timestamp: entry.timestamp, kind: 'value' });
      return { value: entry.value, timestamp: entry.timestamp, source: 'cache', stale: false };
    }
    if (entry.kind === 'missing') {
      this.#ctx.events.emit('hit', { key: entry.key, timestamp: entry.timestamp, kind: 'missing' });
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
      return this.report(key, timestamp, kind, source, await write);
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
    else if (result.status === 'stale') events.emit('stale', { key, attempted, current: result.current, source });
    else events.emit('duplicate', { key, timestamp: attempted, source });
    return result;
  }

  reportLost(key: string, reason: unknown): void {
    this.#ctx.events.emit('lock-lost', {
      key,
      reason: reason instanceof LockLostError ? reason.reason : String(reason),
    });
  }
}
