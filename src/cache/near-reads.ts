import type { Cluster, Redis } from 'ioredis';
import { assertValidKey } from '../core/key.js';
import type { Entry, ServingEntry } from '../redis/entry.js';
import { entryKeyPrefix } from '../redis/entry-key.js';
import { entryOf, type NearEntry, nearEntryOf, servingOf } from '../redis/near-entry.js';
import type { OrderedStore } from '../redis/ordered-store.js';
import { TrackingConnection } from '../redis/tracking-connection.js';
import { asRedisFailure, redisSecretsOf } from '../redis/transport-failure.js';
import { BarrierBatch, type SharedRead } from './barrier-batch.js';
import type { CacheEventEmitter } from './events.js';
import { InFlightReads } from './in-flight-reads.js';
import { NearCache, type NearCacheLimits } from './near-cache.js';
import { ReadBarrier } from './read-barrier.js';
import { watchLiveness } from './redis-liveness.js';
import type { RedisTimer } from './timed-redis.js';

/** A way to read one key: the cache's reads in flight (InFlightReads), or the near cache in front of them. */
export interface KeyReads<R> {
  read(key: string): Promise<R>;
}

export interface NearReadsContext<T> {
  limits: NearCacheLimits;
  namespace: string;
  redis: Redis | Cluster;
  store: OrderedStore<T>;
  events: CacheEventEmitter;
  timer: RedisTimer;
  /** Bounds a barrier PING (the tracking connection's liveness check), like any Redis command of the cache. */
  commandTimeoutMs: number;
  /** The reads that go to Redis: used whenever the near cache cannot answer exactly. */
  serving: KeyReads<ServingEntry<T> | undefined>;
  full: KeyReads<Entry<T> | undefined>;
}

/**
 * The near cache in front of the cache's Redis reads (docs/design.md "Near cache"). While the tracking
 * connection is active, a read waits for the read barrier (a PING sent after it started, answered),
 * then answers from the near cache, or reads Redis and keeps the reply if no invalidation of the key
 * overtook it (NearCache's fill rule). Whenever tracking is not active, or the barrier fails, a read
 * goes to Redis exactly as without a near cache, and nothing read then is kept.
 */
export class NearReads<T> {
  /** For get/getEntry: {@link ServingEntry}. */
  readonly serving: KeyReads<ServingEntry<T> | undefined>;
  /** For peek: the whole {@link Entry}. */
  readonly full: KeyReads<Entry<T> | undefined>;
  readonly #ctx: NearReadsContext<T>;
  readonly #near: NearCache;
  readonly #tracking: TrackingConnection;
  readonly #barrier: ReadBarrier;
  // Fill reads in flight, shared by concurrent near-cache misses of one key (the InFlightReads rule).
  readonly #fills: InFlightReads<NearEntry | undefined>;

  constructor(ctx: NearReadsContext<T>, connection: Redis) {
    this.#ctx = ctx;
    const near = new NearCache(ctx.limits);
    this.#near = near;
    const prefix = entryKeyPrefix(ctx.namespace); // ASCII: its length is its byte length
    const { events } = ctx;
    this.#tracking = new TrackingConnection(connection, prefix, {
      // A fill read sent before an invalidation answers for before it: later reads must not join it,
      // or a get that started after a write completed could return what Redis held before it.
      invalidated: (redisKeys) => {
        if (redisKeys === null) {
          near.flush();
          this.#fills.forgetAll();
        } else
          for (const redisKey of redisKeys) {
            const key = redisKey.toString('utf8', prefix.length);
            near.invalidate(key);
            this.#fills.forget(key);
          }
      },
      changed: (active) => {
        near.flush();
        this.#fills.forgetAll();
        if (!active) this.#barrier.abort(new Error('the near cache tracking connection closed'));
        events.nearCache(active ? 'active' : 'inactive');
      },
      refused: (reason, error) => {
        near.flush();
        events.nearCache('unavailable', { reason, error });
      },
    });
    const tracking = this.#tracking;
    this.#barrier = new ReadBarrier(() => tracking.ping());
    this.#fills = new InFlightReads((key) => this.#fill(key));
    const codec = ctx.store.options.codec;
    const servingBatch = new BarrierBatch<ServingEntry<T> | undefined>();
    const fullBatch = new BarrierBatch<Entry<T> | undefined>();
    this.serving = {
      read: (key) => this.#read(key, servingBatch, ctx.serving, (entry) => servingOf(codec, key, entry)),
    };
    this.full = {
      read: (key) => this.#read(key, fullBatch, ctx.full, (entry) => entryOf(codec, key, entry)),
    };
  }

  /** Opens the tracking connection; resolves when it is active, refused, or after `timeoutMs`. */
  start(timeoutMs: number): Promise<void> {
    return this.#tracking.start(timeoutMs);
  }

  /** A local write of `key` settled: drop it and spoil its fills in flight (the barrier orders it anyway). */
  forget(key: string): void {
    this.#near.invalidate(key);
    this.#fills.forget(key);
  }

  /** Closes the tracking connection (no handle left) and empties the near cache. */
  close(): void {
    this.#tracking.close();
    this.#near.flush();
  }

  /** Entries held now (for tests and diagnostics). */
  get size(): number {
    return this.#near.size;
  }

  #read<R>(
    key: string,
    batch: BarrierBatch<R | undefined>,
    redisRead: KeyReads<R | undefined>,
    serve: (entry: NearEntry) => R,
  ): Promise<R | undefined> {
    if (!this.#tracking.active) return redisRead.read(key);
    const pending = this.#barrier.pending;
    const joined = pending === undefined ? undefined : batch.join(pending, key);
    if (joined !== undefined) return joined; // the key was checked by the read it joins
    try {
      assertValidKey(key); // before the barrier's PING: a bad key sends nothing
    } catch (error) {
      return Promise.reject(error);
    }
    const barrier = this.#barrier.wait();
    batch.join(barrier, key); // starts a new batch if this barrier is a new one
    const shared: SharedRead<R | undefined> = { promise: barrier as Promise<never>, callers: 1 };
    shared.promise = barrier.then(
      () => this.#afterBarrier(key, redisRead, serve, shared),
      (error: unknown) => this.#barrierFailed(key, redisRead, error),
    );
    batch.add(key, shared);
    return shared.promise;
  }

  // Every invalidation of a write that completed before the read started has been applied: what the
  // near cache holds now is what a Redis read at the read's start could have returned.
  #afterBarrier<R>(
    key: string,
    redisRead: KeyReads<R | undefined>,
    serve: (entry: NearEntry) => R,
    shared: SharedRead<R | undefined>,
  ): R | Promise<R | undefined> {
    if (!this.#tracking.active) return redisRead.read(key);
    const held = this.#near.get(key, Date.now());
    if (held !== undefined) {
      this.#ctx.events.nearHit(shared.callers);
      return serve(held);
    }
    return this.#fills.read(key).then((entry) => (entry === undefined ? undefined : serve(entry)));
  }

  // The PING failed. Silent for redisCommandTimeoutMs (the liveness check's "Command timed out"): Redis is most
  // likely stuck for every connection, so the read fails as a Redis read would have by now (ConnectionError,
  // what fail-open acts on) instead of waiting as long again; the connection is dropped, since what it did or
  // did not push is unknown. Closed (tracking is off already, or was killed): this read goes to Redis.
  #barrierFailed<R>(key: string, redisRead: KeyReads<R | undefined>, error: unknown): Promise<R | undefined> {
    if (this.#tracking.active) this.#tracking.reset();
    if (error instanceof Error && error.message.startsWith('Command timed out'))
      return Promise.reject(
        asRedisFailure(error, `a read of ${key} (near cache barrier)`, redisSecretsOf(this.#ctx.redis)),
      );
    return redisRead.read(key);
  }

  #fill(key: string): Promise<NearEntry | undefined> {
    const { store, timer } = this.#ctx;
    const near = this.#near;
    const ticket = near.beginFill(key);
    const read = timer.read(
      store.readFields(key, (redisKey, fields) => nearEntryOf(store.options.codec, key, redisKey, fields)),
    );
    // Registered before any caller's, so the entry is kept (or not) before they resume.
    read.then(
      (entry) => near.endFill(ticket, entry, this.#tracking.active),
      () => near.endFill(ticket, undefined, false),
    );
    return read;
  }
}

/**
 * The near cache for a cache on `ctx.redis`, or `undefined` (and a `near-cache` `unavailable` state)
 * when it cannot be exact there: a Cluster (tracking is per node), a client that cannot be duplicated.
 * Its tracking connection is a duplicate of the client (same address, credentials and TLS), with the
 * same liveness check as the cache's own connections.
 */
export function nearReadsFor<T>(ctx: NearReadsContext<T>): NearReads<T> | undefined {
  const { redis, events } = ctx;
  const unavailable = (reason: string) => {
    events.nearCache('unavailable', { reason });
    return undefined;
  };
  if (redis.isCluster) return unavailable('a Redis Cluster: the near cache is for a standalone Redis');
  if (typeof (redis as Partial<Redis>).duplicate !== 'function')
    return unavailable('the Redis client passed in cannot be duplicated for the tracking connection');
  const connection = (redis as Redis).duplicate({
    lazyConnect: true,
    enableOfflineQueue: false, // a PING on a connection that is not ready fails at once: the read goes to Redis
    autoResubscribe: false, // the setup must run again, in order, with the new client id
    enableAutoPipelining: false,
    maxRetriesPerRequest: 1,
  });
  watchLiveness(connection, ctx.commandTimeoutMs);
  events.nearCache('starting');
  return new NearReads(ctx, connection);
}
