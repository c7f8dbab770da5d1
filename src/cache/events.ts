import { EventEmitter } from 'node:events';
import { scrubError } from '../core/redact.js';

/**
 * Everything `OrderedCache` reports, for metrics and logs. Listeners run synchronously on the
 * calling path: keep them cheap. A throwing listener does not break the cache operation.
 */
export interface CacheEvents {
  /** A fresh value (or a cached "missing") was served from Redis. */
  hit: { key: string; timestamp: bigint; kind: 'value' | 'missing' };
  /** Redis had no fresh entry; a load follows (or joins one in flight in this process). */
  miss: { key: string; joined: boolean };
  /** A loader ran. `durationMs` covers only the loader call; `error` is set when it threw. */
  load: { key: string; durationMs: number; timestamp?: bigint; error?: unknown };
  /** The compare script accepted a write (`kind` is what was written). */
  written: {
    key: string;
    timestamp: bigint;
    kind: 'value' | 'tombstone' | 'missing';
    source: 'load' | 'set' | 'invalidate';
  };
  /**
   * The compare script rejected ours: the cache did not go backwards. It kept an equal or newer
   * entry (`current`), or, with `reason: 'epoch'`, the write's epoch predates a loss of Redis's data
   * (restart without persistence, FLUSHALL), so what it read may be older than a lost write;
   * `current` is then what a write after the loss stored, or `undefined`.
   */
  stale: {
    key: string;
    attempted: bigint;
    current: bigint | undefined;
    source: 'load' | 'set' | 'invalidate';
    reason?: 'epoch';
  };
  /**
   * A loaded value (or "missing") was rejected by a tombstone newer than the version the loader
   * read: until the database reaches `stored` (or the tombstone's retention ends) every read of this
   * key goes to the loader. Seen repeatedly for one key, it usually means an invalidation with a
   * timestamp above anything the database holds (e.g. `zkoc invalidate --ts` with a wrong number).
   */
  'fill-refused': { key: string; loaded: bigint; stored: bigint };
  /** The same timestamp was already stored; nothing changed. */
  duplicate: { key: string; timestamp: bigint; source: 'load' | 'set' | 'invalidate' };
  /** A per-key lock was acquired after `waitedMs`. */
  'lock-acquired': { key: string; waitedMs: number };
  /** A per-key lock taken by the cache was released after `heldMs`. */
  'lock-released': { key: string; heldMs: number };
  /** One Redis round trip of the cache (`read`: a serving read; `write`: a compare-script call). */
  redis: { op: 'read' | 'write'; durationMs: number; error?: unknown };
  /** The ZooKeeper session's state changed (see ZooKeeperConnection's states). */
  'session-state': { state: 'connected' | 'suspended' | 'lost' | 'closed'; previous: string };
  /**
   * Someone else deleted the cache's znode while it queued for `key`'s lock (`deletedPath`): it
   * queued again with a new node, at the back (from `locks`' `node-recreated`).
   */
  'node-recreated': { key: string; deletedPath: string };
  /**
   * A child under `key`'s lock parent is not one of the cache's ephemeral contenders: `persistent`
   * (named like one, but it would never go away) or `malformed`. It is ignored in the queue, so it
   * cannot block the key; reported once per node (from `locks`' `foreign-node`).
   */
  'foreign-node': { key: string; path: string; reason: 'persistent' | 'malformed' };
  /**
   * A released lock's delete was refused (e.g. NO_AUTH after an ACL change): its node stays until the
   * session ends, holding up the key's other contenders (from `locks`' `release-failed`; without a
   * listener, a process warning).
   */
  'release-failed': { key: string; path: string; error: unknown };
  /** A held lock was lost (session expired or presumed lost); the Redis script still fences writes. */
  'lock-lost': { key: string; reason: string };
  /**
   * A read went around a server that cannot answer (only with `onCacheUnavailable: 'load'`).
   * `redis-unavailable`: Redis failed this read, the loader's answer is returned uncached;
   * `circuit-open`: Redis is known to be down (a probe checks it), so it was not asked at all;
   * `zookeeper-unavailable`: the key's lock could not be taken because ZooKeeper is unreachable, so
   * the fill went ahead without it (the compare script still refuses an older write).
   */
  bypass: { key: string; reason: 'redis-unavailable' | 'circuit-open' | 'zookeeper-unavailable' };
  /**
   * The near cache changed state: `active` (tracking on, reads may be answered in process), `inactive`
   * (the tracking connection dropped: emptied, reads go to Redis until it is back), `unavailable` (off for
   * good, `reason` says why: a Cluster, a client that cannot be duplicated, Redis refused client tracking).
   */
  'near-cache': { state: 'active' | 'inactive' | 'unavailable'; reason?: string; error?: unknown };
  /** A logically expired value was served within `graceMs` (refreshing, or because the load failed). */
  'grace-served': { key: string; timestamp: bigint; reason: 'refreshing' | 'load-failed'; error?: unknown };
}

export type CacheEventName = keyof CacheEvents;

/** See {@link CacheEventEmitter.nearCacheState}. */
export type NearCacheState = 'off' | 'starting' | CacheEvents['near-cache']['state'];

/** A typed EventEmitter for {@link CacheEvents}. */
export class CacheEventEmitter {
  readonly #emitter = new EventEmitter();
  #hits = 0;
  #negativeHits = 0;
  #nearHits = 0;
  #nearState: NearCacheState = 'off';

  /** Fresh values served since the cache was created: counted whether or not anyone listens to `hit`. */
  get hitCount(): number {
    return this.#hits;
  }

  /** Fresh "missing" answers served since the cache was created (a `hit` of kind `missing`). */
  get negativeHitCount(): number {
    return this.#negativeHits;
  }

  /** Reads (get, getEntry, peek) answered by the near cache, without a Redis read, fresh or not. */
  get nearHitCount(): number {
    return this.#nearHits;
  }

  /** The near cache's state now: `off` when the `nearCache` option is false, else its last `near-cache` state. */
  get nearCacheState(): NearCacheState {
    return this.#nearState;
  }

  /** @internal Counts `reads` answered by the near cache (no event: it is on the hit path). */
  nearHit(reads: number): void {
    this.#nearHits += reads;
  }

  /** @internal Records a change of the near cache's state, and reports it (`starting` is not reported). */
  nearCache(state: NearCacheState, detail: { reason?: string; error?: unknown } = {}): void {
    this.#nearState = state;
    if (state !== 'starting' && state !== 'off') this.emit('near-cache', { state, ...detail });
  }

  /**
   * @internal Counts a hit, and reports it as a `hit` event only when someone listens: most of a
   * cache's traffic, so no event object is built for nobody (metrics read the counts at scrape time).
   */
  hit(key: string, timestamp: bigint, kind: 'value' | 'missing'): void {
    if (kind === 'value') this.#hits++;
    else this.#negativeHits++;
    if (this.#emitter.listenerCount('hit') !== 0) this.emit('hit', { key, timestamp, kind });
  }

  on<E extends CacheEventName>(event: E, listener: (data: CacheEvents[E]) => void): this {
    this.#emitter.on(event, listener);
    return this;
  }

  off<E extends CacheEventName>(event: E, listener: (data: CacheEvents[E]) => void): this {
    this.#emitter.off(event, listener);
    return this;
  }

  once<E extends CacheEventName>(event: E, listener: (data: CacheEvents[E]) => void): this {
    this.#emitter.once(event, listener);
    return this;
  }

  /** True when someone listens to `event`: lets the hot path skip measuring what nobody reads. */
  listens(event: CacheEventName): boolean {
    return this.#emitter.listenerCount(event) > 0;
  }

  /** @internal Emits without letting a listener's exception escape into the cache operation. */
  emit<E extends CacheEventName>(event: E, data: CacheEvents[E]): void {
    if (this.#emitter.listenerCount(event) === 0) return;
    // The one secret-scrubbing rule (core/redact.ts) applies to what listeners see, too.
    const error = (data as { error?: unknown }).error;
    if (error !== undefined) scrubError(error);
    try {
      this.#emitter.emit(event, data);
    } catch {
      // Observability must never change the outcome of a cache operation.
    }
  }
}
