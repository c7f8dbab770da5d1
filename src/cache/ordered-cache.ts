import type { Cluster, Redis } from 'ioredis';
import { assertValidKey } from '../core/key.js';
import type { TimestampInput } from '../core/timestamp.js';
import { ClosedError } from '../errors.js';
import type { Entry, ServingEntry, WriteResult } from '../redis/entry.js';
import type { OrderedStore } from '../redis/ordered-store.js';
import type { CacheSpan } from '../tracing/cache-tracer.js';
import type { Lock } from '../zookeeper/held-lock.js';
import type { LockManager } from '../zookeeper/lock-manager.js';
import type { ZooKeeperConnection } from '../zookeeper/zookeeper-connection.js';
import {
  type BatchWriteOptions,
  type BatchWriteResult,
  type InvalidateEntry,
  invalidateMany,
  type SetEntry,
  setMany,
} from './batch-writes.js';
import { buildCacheParts, type CacheParts } from './cache-parts.js';
import { assertLockCall, assertReadCall, assertWriteCall, setCallEpoch } from './call-arguments.js';
import {
  abortable,
  type CacheResult,
  type GetOptions,
  type Inspection,
  type LockCallOptions,
  type SetCallOptions,
  type WriteCallOptions,
} from './call-types.js';
import { type CacheWrite, cacheWrite, sendHolding } from './coalesced-writes.js';
import { CacheEventEmitter } from './events.js';
import type { Loader } from './loader-result.js';
import { openConnections } from './open-connections.js';
import { type OrderedCacheOptions, type ParsedOptions, parseOptions } from './options.js';
import { SingleFlight } from './single-flight.js';
import { endAfter, endHit, failingSpan, failRead, spanOf } from './traced-read.js';

export type { CacheResult, GetOptions, Inspection, SetCallOptions, WriteCallOptions } from './call-types.js';

/**
 * A Redis cache filled from a database that never goes backwards.
 *
 * Reads: a fresh entry is one Redis round trip and no ZooKeeper request; concurrent `get`/`peek` calls of one key
 * share one read in flight, and never one issued before a local write of that key settled (see InFlightReads: joined
 * callers share the returned value). A miss is coalesced in this process (single-flight), then takes the key's
 * ZooKeeper lock, re-checks Redis, runs the loader and writes through the compare-timestamp script, so a cold key
 * costs one load however many processes ask. Writes (`set`, `invalidate`) take the lock, then the script. The lock
 * is for efficiency; the script is the safety fence: a paused or expired lock holder cannot roll an entry back,
 * because its older timestamp is rejected.
 */
export class OrderedCache<T = unknown> {
  /** The per-key lock manager (`/zkoc/<namespace>/locks`), for `acquire`, `state` and `list`. */
  readonly locks: LockManager;
  /** The Redis entry store (ordered writes, one-command reads, SCAN). */
  readonly store: OrderedStore<T>;
  /** Observability: `cache.events.on('hit', …)`. */
  readonly events = new CacheEventEmitter();
  readonly #options: ParsedOptions<T>;
  readonly #zk: ZooKeeperConnection;
  readonly #redis: Redis | Cluster;
  readonly #ownsRedis: boolean;
  readonly #loads = new SingleFlight<CacheResult<T>>();
  readonly #refreshes = new SingleFlight<CacheResult<T>>();
  /** The fill path, the shared reads, the tracer, fail-open reads, batch writes: see cache-parts.ts. */
  readonly #parts: CacheParts<T>;
  #closing: Promise<void> | undefined;

  private constructor(options: ParsedOptions<T>, zk: ZooKeeperConnection, redis: Redis | Cluster, ownsRedis: boolean) {
    this.#options = options;
    this.#zk = zk;
    this.#redis = redis;
    this.#ownsRedis = ownsRedis;
    this.#parts = buildCacheParts(options, zk, redis, this.events);
    this.locks = this.#parts.locks;
    this.store = this.#parts.store;
  }

  /**
   * Validates options, opens a ZooKeeper session and a Redis connection (or adopts the ioredis
   * client you pass), and returns a ready cache.
   * @throws InvalidOptionsError for bad options (nothing is opened).
   * @throws ConnectionError when ZooKeeper or Redis does not answer within its connect timeout.
   */
  static async connect<T = unknown>(options: OrderedCacheOptions<T>): Promise<OrderedCache<T>> {
    const parsed = parseOptions(options);
    const cache = await openConnections(parsed, (zk, redis) => new OrderedCache(parsed, zk, redis.client, redis.owned));
    await cache.#parts.near?.start(parsed.redisConnectTimeoutMs); // bounded, never rejects: until then reads go to Redis
    return cache;
  }

  /** The ZooKeeper connection (state events, session id); owned by the cache and closed by `close()`. */
  get zookeeper(): ZooKeeperConnection {
    return this.#zk;
  }

  /** The namespace this cache works in. */
  get namespace(): string {
    return this.#options.namespace;
  }

  /**
   * Returns the value for `key`: from Redis when fresh (one round trip), else from `loader`, run at most once per
   * cold key across all processes that share the ZooKeeper lock. Returns `undefined` when the row does not exist
   * (the loader returned `undefined` or `{ missing: true, timestamp }`).
   * @throws InvalidKeyError before anything is sent; MalformedLoaderResultError; the loader's own error (nothing is
   *   written, the lock is released); LockTimeoutError after `lockTimeoutMs`; AbortError; ConnectionError;
   *   ForeignEntryError.
   */
  async get(key: string, loader: Loader<T>, options: GetOptions = {}): Promise<T | undefined> {
    this.#assertReadable(loader, options);
    const tracer = this.#parts.tracer;
    const span = tracer.startRead('zkoc get', 'get'); // no parent: a hit makes no span (traced-read.ts)
    if (this.#parts.failOpen) return (await this.#failOpenRead(key, loader, options, spanOf(tracer, span))).value;
    let entry: ServingEntry<T> | undefined;
    try {
      entry = await this.#parts.servingReads.read(key); // joins a read of this key in flight (InFlightReads)
    } catch (error) {
      throw failRead(tracer, span, error); // a catch, not a wrapping promise per read
    }
    // The hit path, kept to one await and no allocation: it is most of a cache's traffic.
    if (entry?.kind === 'value' && entry.isFresh) {
      this.events.hit(key, entry.timestamp, 'value');
      endHit(span, entry.timestamp);
      return entry.value;
    }
    const started = spanOf(tracer, span);
    return (await endAfter(started, this.#serveOrLoad(key, entry, loader, options, started))).value;
  }

  /** Like {@link get}, and also says where the value came from and whether it is stale (grace). */
  async getEntry(key: string, loader: Loader<T>, options: GetOptions = {}): Promise<CacheResult<T>> {
    this.#assertReadable(loader, options);
    const tracer = this.#parts.tracer;
    const span = tracer.startRead('zkoc get', 'get');
    if (this.#parts.failOpen) return this.#failOpenRead(key, loader, options, spanOf(tracer, span));
    const entry = await failingSpan(tracer, span, this.#parts.servingReads.read(key));
    if (typeof span === 'number' && entry?.kind === 'value' && entry.isFresh) return this.#parts.fill.servable(entry)!;
    const started = spanOf(tracer, span);
    return endAfter(started, this.#serveOrLoad(key, entry, loader, options, started));
  }

  // A load around an unavailable Redis runs in the span's context too, so its spans nest under it.
  #failOpenRead(key: string, loader: Loader<T>, options: GetOptions, span: CacheSpan): Promise<CacheResult<T>> {
    const read = async () => this.#serveOrLoad(key, await this.#parts.servingReads.read(key), loader, options, span);
    const spannedLoader: Loader<T> = (call) => span.around(() => loader(call));
    return endAfter(span, this.#parts.failOpen!.read(key, spannedLoader, options.signal, read));
  }

  #assertReadable(loader: unknown, options: GetOptions): void {
    this.#assertOpen();
    assertReadCall(loader, options);
    options.signal?.throwIfAborted();
  }

  /** Serve a fresh entry; else, with the span active, serve it within grace (refreshing it) or load. */
  #serveOrLoad(
    key: string,
    entry: ServingEntry<T> | undefined,
    loader: Loader<T>,
    options: GetOptions,
    span: CacheSpan,
  ): CacheResult<T> | Promise<CacheResult<T>> {
    return this.#parts.fill.servable(entry) ?? span.around(() => this.#notFresh(key, entry, loader, options));
  }

  /** An entry that cannot be served as it is: serve it within grace (refreshing it), or load. */
  #notFresh(
    key: string,
    entry: ServingEntry<T> | undefined,
    loader: Loader<T>,
    options: GetOptions,
  ): CacheResult<T> | Promise<CacheResult<T>> {
    const graceMs = this.#options.graceMs;
    if (entry?.kind === 'value' && graceMs > 0 && Date.now() < entry.expiresAt + graceMs) {
      // Stale-while-revalidate: one refresh per process; errors are reported, the stale value is served.
      const refresh = this.#refreshes.run(key, () => this.#parts.fill.load(key, loader));
      refresh.promise.catch((error: unknown) =>
        this.events.emit('grace-served', { key, timestamp: entry.timestamp, reason: 'load-failed', error }),
      );
      this.events.emit('grace-served', { key, timestamp: entry.timestamp, reason: 'refreshing' });
      return { value: entry.value, timestamp: entry.timestamp, source: 'grace', stale: true };
    }
    const flight = this.#loads.run(key, () => this.#parts.fill.load(key, loader));
    this.events.emit('miss', { key, joined: flight.joined });
    return abortable(flight.promise, options.signal);
  }

  /**
   * Writes `value` at `ts` through the key's lock and the compare script. Resolves `{ status, current, reason? }`;
   * never rolls back; with `options.epoch` (from {@link epoch}) refused if Redis lost its data since. Concurrent
   * writes of the key in this process share one lock cycle.
   * @throws InvalidKeyError, InvalidTimestampError, InvalidValueError, InvalidOptionsError before any lock or write;
   *   LockTimeoutError, AbortError (nothing written); ConnectionError; ForeignEntryError.
   */
  async set(key: string, value: T, ts: TimestampInput, options: SetCallOptions = {}): Promise<WriteResult> {
    this.#assertOpen();
    const write = cacheWrite(this.store.prepareWrite(key, value, ts, setCallEpoch(options)), 'set');
    return this.#parts.tracer.inSpan('zkoc set', () => this.#write(key, write, options), { operation: 'set' });
  }

  /** The token for `set`'s `options.epoch`: take it before reading that version (docs/design.md "The epoch fence"). */
  async epoch(key: string): Promise<string> {
    this.#assertOpen();
    return this.store.epoch(key);
  }

  /**
   * Writes a tombstone at `ts` (through the lock and the script): the entry stops being served, and
   * every write below `ts` is rejected for `retentionMs`. Call it after the database commit with the
   * committed version (or the version from `deleteVersioned`). @throws as {@link set}.
   */
  async invalidate(key: string, ts: TimestampInput, options: WriteCallOptions = {}): Promise<WriteResult> {
    this.#assertOpen();
    const write = cacheWrite(this.store.prepareInvalidate(key, ts), 'invalidate');
    const operation = 'invalidate';
    return this.#parts.tracer.inSpan('zkoc invalidate', () => this.#write(key, write, options), { operation });
  }

  // Folded with this key's other writes in flight (WriteCoalescer); a call with a signal may give up
  // alone, so it takes its own lock cycle.
  #write(key: string, write: CacheWrite, options: WriteCallOptions): Promise<WriteResult> {
    assertWriteCall(options); // before any lock, folded or not
    if (this.#parts.writes && !options.signal) return this.#parts.writes.write(key, write);
    return this.#underLock(key, options, () => sendHolding(this.#parts.fill, key, write));
  }

  /**
   * Tombstones for many keys at once (pipelined locks and script calls), per-entry results in order.
   * @throws InvalidKeyError, InvalidTimestampError before any lock or write (see batch-writes.ts).
   */
  async invalidateMany(entries: readonly InvalidateEntry[], options?: BatchWriteOptions): Promise<BatchWriteResult[]> {
    this.#assertOpen();
    return invalidateMany(this.#parts.batch, entries, options);
  }

  /** Values for many keys at once, like {@link invalidateMany}; InvalidValueError too, before anything. */
  async setMany(entries: readonly SetEntry<T>[], options?: BatchWriteOptions): Promise<BatchWriteResult[]> {
    this.#assertOpen();
    return setMany(this.#parts.batch, entries, options);
  }

  /**
   * The entry for `key` without loading: `undefined` when absent or a tombstone. Expired values and
   * cached "missing" answers are returned; check `isFresh` and `kind`. One Redis round trip, shared
   * by concurrent `peek`s of the key.
   */
  async peek(key: string): Promise<Entry<T> | undefined> {
    this.#assertOpen();
    const entry = await this.#parts.fullReads.read(key);
    return entry?.kind === 'tombstone' ? undefined : entry;
  }

  /** The Redis entry (tombstones included) and the key's lock holder and waiters. */
  async inspect(key: string): Promise<Inspection<T>> {
    this.#assertOpen();
    assertValidKey(key);
    const [entry, lock] = await Promise.all([this.store.read(key), this.locks.state(key)]);
    return { key, entry, lock };
  }

  /**
   * Runs `fn` while holding the key's lock and releases it afterwards, whatever happens.
   * `lock.signal` aborts (with LockLostError) if the lock is lost meanwhile; writes made through
   * this cache are still fenced by their timestamps.
   * @throws InvalidKeyError, LockTimeoutError, AbortError, or what `fn` throws.
   */
  async withLock<R>(key: string, fn: (lock: Lock) => Promise<R> | R, options: LockCallOptions = {}): Promise<R> {
    this.#assertOpen();
    return this.#parts.tracer.inSpan('zkoc withLock', () => this.#underLock(key, options, fn));
  }

  /**
   * Finishes lock releases still being retried (within the ZooKeeper connection's close grace, at
   * most 1 s), then closes the ZooKeeper session (its znodes vanish at once, so a load still in
   * flight loses its lock; its write is still fenced) and the Redis connection if the cache created it. Idempotent.
   */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      this.#parts.dispose(); // the fail-open probe, the near cache's tracking connection
      await this.#zk.close(); // runs locks.settled() first, bounded: a silent server cannot hold close up
      if (this.#ownsRedis) await this.#redis.quit().catch(() => this.#redis.disconnect());
    })();
    return this.#closing;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  async #underLock<R>(key: string, options: LockCallOptions, fn: (lock: Lock) => Promise<R> | R): Promise<R> {
    assertLockCall(fn, options);
    const timeoutMs = options.timeoutMs ?? this.#options.lockTimeoutMs;
    return this.#parts.fill.holding(key, { timeoutMs, signal: options.signal }, fn);
  }

  #assertOpen(): void {
    if (this.#closing) throw new ClosedError('OrderedCache');
  }
}
