import type { Cluster, Redis } from 'ioredis';
import { assertValidKey } from '../core/key.js';
import type { TimestampInput } from '../core/timestamp.js';
import { AbortError, ClosedError, LockLostError } from '../errors.js';
import type { Entry, ServingEntry, WriteResult } from '../redis/entry.js';
import { OrderedStore } from '../redis/ordered-store.js';
import type { Lock } from '../zookeeper/held-lock.js';
import { LockManager } from '../zookeeper/lock-manager.js';
import type { LockState } from '../zookeeper/lock-state.js';
import { ZooKeeperConnection } from '../zookeeper/zookeeper-connection.js';
import { assertLockCall, assertReadCall } from './call-arguments.js';
import { CacheEventEmitter } from './events.js';
import { checkLoaderResult, type Loader } from './loader-result.js';
import { type OrderedCacheOptions, type ParsedOptions, parseOptions } from './options.js';
import { openRedis } from './redis-connection.js';
import { SingleFlight } from './single-flight.js';

/** Per-call options of reads. */
export interface GetOptions {
  /** Stops waiting (AbortError). Other callers sharing the same load are not affected. */
  signal?: AbortSignal;
}

/** Per-call options of writes. */
export interface WriteCallOptions {
  /** Gives up waiting for the lock (AbortError); nothing is written. */
  signal?: AbortSignal;
}

/** What {@link OrderedCache.getEntry} returns: the value and where it came from. */
export interface CacheResult<T> {
  /** The value, or `undefined` when the row does not exist. */
  value: T | undefined;
  /** The timestamp of what was returned (`undefined` when the loader returned `undefined`). */
  timestamp: bigint | undefined;
  /** `cache`: a fresh Redis entry; `loader`: this call (or one it joined) loaded it; `grace`: an expired value served within `graceMs`. */
  source: 'cache' | 'loader' | 'grace';
  /** True when the value is past its freshness (served within `graceMs`). */
  stale: boolean;
}

/** What {@link OrderedCache.inspect} returns. */
export interface Inspection<T> {
  key: string;
  /** The Redis entry, tombstones and expired entries included. */
  entry: Entry<T> | undefined;
  /** Lock holder and waiters from ZooKeeper. */
  lock: LockState;
}

/**
 * A Redis cache filled from a database that never goes backwards.
 *
 * Reads: a fresh entry is one Redis round trip and no ZooKeeper request. A miss is coalesced in
 * this process (single-flight), then takes the key's ZooKeeper lock, re-checks Redis, runs the
 * loader and writes through the compare-timestamp script, so a cold key costs one load however many
 * processes ask. Writes (`set`, `invalidate`) take the lock, then the script. The lock is for
 * efficiency; the script is the safety fence: a paused or expired lock holder cannot roll an entry
 * back, because its older timestamp is rejected.
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
  #closing: Promise<void> | undefined;

  private constructor(options: ParsedOptions<T>, zk: ZooKeeperConnection, redis: Redis | Cluster, ownsRedis: boolean) {
    this.#options = options;
    this.#zk = zk;
    this.#redis = redis;
    this.#ownsRedis = ownsRedis;
    this.locks = new LockManager(zk, {
      root: `/zkoc/${options.namespace}/locks`,
      label: options.label,
      timeoutMs: options.lockTimeoutMs,
    });
    this.store = new OrderedStore<T>(redis, {
      namespace: options.namespace,
      ttlMs: options.ttlMs,
      retentionMs: options.retentionMs,
      writerLabel: options.label,
      codec: options.codec,
      maxValueBytes: options.maxValueBytes,
    });
  }

  /**
   * Validates options, opens a ZooKeeper session and a Redis connection (or adopts the ioredis
   * client you pass), and returns a ready cache.
   * @throws InvalidOptionsError for bad options (nothing is opened).
   * @throws ConnectionError when ZooKeeper or Redis does not answer within its connect timeout.
   */
  static async connect<T = unknown>(options: OrderedCacheOptions<T>): Promise<OrderedCache<T>> {
    const parsed = parseOptions(options);
    const redis = await openRedis(parsed.redis, {
      connectTimeoutMs: parsed.redisConnectTimeoutMs,
      commandTimeoutMs: parsed.redisCommandTimeoutMs,
    });
    let zk: ZooKeeperConnection;
    try {
      zk = await ZooKeeperConnection.connect(parsed.zookeeper);
    } catch (error) {
      if (redis.owned) redis.client.disconnect();
      throw error;
    }
    return new OrderedCache(parsed, zk, redis.client, redis.owned);
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
   * Returns the value for `key`: from Redis when fresh (one round trip), else from `loader`, run at
   * most once per cold key across all processes that share the ZooKeeper lock. Returns `undefined`
   * when the row does not exist (the loader returned `undefined` or `{ missing: true, timestamp }`).
   * @throws InvalidKeyError before anything is sent; MalformedLoaderResultError; the loader's own
   *   error (nothing is written, the lock is released); LockTimeoutError after `lockTimeoutMs`;
   *   AbortError; ConnectionError; ForeignEntryError.
   */
  async get(key: string, loader: Loader<T>, options: GetOptions = {}): Promise<T | undefined> {
    this.#assertReadable(loader, options);
    const entry = await this.store.readForServing(key); // validates the key before sending anything
    // The hit path, kept to one await and no allocation: it is most of a cache's traffic.
    if (entry?.kind === 'value' && entry.isFresh) {
      this.events.emit('hit', { key, timestamp: entry.timestamp, kind: 'value' });
      return entry.value;
    }
    return (await this.#afterRead(key, entry, loader, options)).value;
  }

  /** Like {@link get}, and also says where the value came from and whether it is stale (grace). */
  async getEntry(key: string, loader: Loader<T>, options: GetOptions = {}): Promise<CacheResult<T>> {
    this.#assertReadable(loader, options);
    const entry = await this.store.readForServing(key);
    return this.#afterRead(key, entry, loader, options);
  }

  #assertReadable(loader: unknown, options: GetOptions): void {
    this.#assertOpen();
    assertReadCall(loader, options);
    options.signal?.throwIfAborted();
  }

  /** Everything after the first Redis read: serve, serve within grace, or load (single-flight). */
  #afterRead(
    key: string,
    entry: ServingEntry<T> | undefined,
    loader: Loader<T>,
    options: GetOptions,
  ): CacheResult<T> | Promise<CacheResult<T>> {
    const fresh = this.#servable(entry);
    if (fresh) return fresh;
    if (entry?.kind === 'value' && this.#withinGrace(entry)) {
      // Stale-while-revalidate: one refresh per process; errors are reported, the stale value is served.
      const refresh = this.#refreshes.run(key, () => this.#load(key, loader));
      refresh.promise.catch((error: unknown) =>
        this.events.emit('grace-served', { key, timestamp: entry.timestamp, reason: 'load-failed', error }),
      );
      this.events.emit('grace-served', { key, timestamp: entry.timestamp, reason: 'refreshing' });
      return { value: entry.value, timestamp: entry.timestamp, source: 'grace', stale: true };
    }
    const flight = this.#loads.run(key, () => this.#load(key, loader));
    this.events.emit('miss', { key, joined: flight.joined });
    return abortable(flight.promise, options.signal);
  }

  /**
   * Writes `value` at timestamp `ts` through the key's lock and the compare script.
   * Resolves `{ status: 'written' | 'duplicate' | 'stale', current }`; never rolls the entry back.
   * @throws InvalidKeyError, InvalidTimestampError, InvalidValueError before any lock or write;
   *   LockTimeoutError, AbortError (nothing written); ConnectionError; ForeignEntryError.
   */
  async set(key: string, value: T, ts: TimestampInput, options: WriteCallOptions = {}): Promise<WriteResult> {
    this.#assertOpen();
    const write = this.store.prepareWrite(key, value, ts);
    return this.#underLock(key, options, async () =>
      this.#report(key, write.timestamp, 'value', 'set', await write.run()),
    );
  }

  /**
   * Writes a tombstone at `ts` (through the lock and the script): the entry stops being served,
   * and every write below `ts` is rejected for `retentionMs`. Call it after the database commit
   * with the committed version (or the version from `deleteVersioned`).
   * @throws as {@link set}.
   */
  async invalidate(key: string, ts: TimestampInput, options: WriteCallOptions = {}): Promise<WriteResult> {
    this.#assertOpen();
    const write = this.store.prepareInvalidate(key, ts);
    return this.#underLock(key, options, async () =>
      this.#report(key, write.timestamp, 'tombstone', 'invalidate', await write.run()),
    );
  }

  /**
   * The entry for `key` without loading: `undefined` when absent or a tombstone. Expired values and
   * cached "missing" answers are returned; check `isFresh` and `kind`. One Redis round trip.
   */
  async peek(key: string): Promise<Entry<T> | undefined> {
    this.#assertOpen();
    const entry = await this.store.read(key);
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
  async withLock<R>(
    key: string,
    fn: (lock: Lock) => Promise<R> | R,
    options: WriteCallOptions & { timeoutMs?: number } = {},
  ): Promise<R> {
    this.#assertOpen();
    return this.#underLock(key, options, fn);
  }

  /**
   * Finishes lock releases still being retried, then closes the ZooKeeper session (its znodes vanish
   * at once, so a load still in flight loses its lock; its write is still fenced) and the
   * Redis connection if the cache created it. Idempotent.
   */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      await this.locks.settled().catch(() => {});
      await this.#zk.close();
      if (this.#ownsRedis) await this.#redis.quit().catch(() => this.#redis.disconnect());
    })();
    return this.#closing;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  async #load(key: string, loader: Loader<T>): Promise<CacheResult<T>> {
    const waitStart = performance.now();
    await using lock = await this.locks.acquire(key, { timeoutMs: this.#options.lockTimeoutMs });
    this.events.emit('lock-acquired', { key, waitedMs: performance.now() - waitStart });
    lock.signal.addEventListener('abort', () => this.#reportLost(key, lock.signal.reason), { once: true });
    // Someone may have filled the key while we queued for the lock: re-check before loading.
    const current = await this.store.readForServing(key);
    const fresh = this.#servable(current);
    if (fresh) return fresh;
    const loadStart = performance.now();
    let raw: unknown;
    try {
      raw = await loader({ key, signal: lock.signal });
    } catch (error) {
      this.events.emit('load', { key, durationMs: performance.now() - loadStart, error });
      throw error;
    }
    const result = checkLoaderResult<T>(key, raw);
    const durationMs = performance.now() - loadStart;
    if (result.kind === 'none') {
      this.events.emit('load', { key, durationMs });
      return { value: undefined, timestamp: undefined, source: 'loader', stale: false };
    }
    const timestamp = BigInt(result.timestamp);
    this.events.emit('load', { key, durationMs, timestamp });
    if (result.kind === 'missing') {
      this.#report(key, result.timestamp, 'missing', 'load', await this.store.writeMissing(key, result.timestamp));
      return { value: undefined, timestamp, source: 'loader', stale: false };
    }
    const outcome = this.#report(
      key,
      result.timestamp,
      'value',
      'load',
      await this.store.write(key, result.value, result.timestamp),
    );
    if (outcome.status === 'stale') {
      // A newer entry landed while we loaded: serve it rather than the older row we read.
      const newer = this.#servable(await this.store.readForServing(key));
      if (newer) return newer;
    }
    return { value: result.value, timestamp, source: 'loader', stale: false };
  }

  async #underLock<R>(
    key: string,
    options: WriteCallOptions & { timeoutMs?: number },
    fn: (lock: Lock) => Promise<R> | R,
  ): Promise<R> {
    assertLockCall(fn, options);
    const waitStart = performance.now();
    await using lock = await this.locks.acquire(key, {
      timeoutMs: options.timeoutMs ?? this.#options.lockTimeoutMs,
      signal: options.signal,
    });
    this.events.emit('lock-acquired', { key, waitedMs: performance.now() - waitStart });
    lock.signal.addEventListener('abort', () => this.#reportLost(key, lock.signal.reason), { once: true });
    return await fn(lock);
  }

  /** A fresh value or fresh "missing" as a result, or undefined when the entry must be loaded. */
  #servable(entry: ServingEntry<T> | undefined): CacheResult<T> | undefined {
    if (!entry?.isFresh) return undefined;
    if (entry.kind === 'value') {
      this.events.emit('hit', { key: entry.key, timestamp: entry.timestamp, kind: 'value' });
      return { value: entry.value, timestamp: entry.timestamp, source: 'cache', stale: false };
    }
    if (entry.kind === 'missing') {
      this.events.emit('hit', { key: entry.key, timestamp: entry.timestamp, kind: 'missing' });
      return { value: undefined, timestamp: entry.timestamp, source: 'cache', stale: false };
    }
    return undefined;
  }

  #withinGrace(entry: ServingEntry<T>): boolean {
    return this.#options.graceMs > 0 && Date.now() < entry.expiresAt + this.#options.graceMs;
  }

  #report(
    key: string,
    timestamp: string,
    kind: 'value' | 'tombstone' | 'missing',
    source: 'load' | 'set' | 'invalidate',
    result: WriteResult,
  ): WriteResult {
    const attempted = BigInt(timestamp);
    if (result.status === 'written') this.events.emit('written', { key, timestamp: attempted, kind, source });
    else if (result.status === 'stale') this.events.emit('stale', { key, attempted, current: result.current, source });
    else this.events.emit('duplicate', { key, timestamp: attempted, source });
    return result;
  }

  #reportLost(key: string, reason: unknown): void {
    this.events.emit('lock-lost', { key, reason: reason instanceof LockLostError ? reason.reason : String(reason) });
  }

  #assertOpen(): void {
    if (this.#closing) throw new ClosedError('OrderedCache');
  }
}

/** Lets one caller stop waiting on a shared promise without cancelling it for the others. */
function abortable<R>(promise: Promise<R>, signal: AbortSignal | undefined): Promise<R> {
  if (!signal) return promise;
  return new Promise<R>((resolve, reject) => {
    const onAbort = () =>
      reject(new AbortError('stopped waiting for the load: the signal was aborted', { cause: signal.reason }));
    if (signal.aborted) return onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}
