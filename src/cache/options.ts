import type { Cluster, Redis, RedisOptions } from 'ioredis';
import type { Codec } from '../codec/codec.js';
import { MAX_TIMER_MS } from '../core/deadline.js';
import { checkLabel, defaultLabel } from '../core/label.js';
import { assertValidNamespace, namespaceLockRoot } from '../core/namespace.js';
import {
  assertOptionsObject,
  describeValue,
  oneOf,
  optionNamer,
  rejectUnknownKeys,
  type WholeNumberBounds,
  wholeNumber,
} from '../core/option-checks.js';
import { InvalidOptionsError } from '../errors.js';
import {
  ORDERED_STORE_DEFAULTS,
  parseOrderedStoreOptions,
  type ResolvedOrderedStoreOptions,
} from '../redis/ordered-store-options.js';
import { parseConnectionOptions, type ZooKeeperConnectionOptions } from '../zookeeper/connection-options.js';
import {
  LOCK_MANAGER_DEFAULTS,
  parseLockManagerOptions,
  type ResolvedLockManagerOptions,
} from '../zookeeper/lock-manager-options.js';
import type { NearCacheLimits } from './near-cache.js';
import { type NearCacheOptions, parseNearCacheOption } from './near-cache-options.js';

/** Options of {@link OrderedCache.connect}. Durations are milliseconds. */
export interface OrderedCacheOptions<T = unknown> {
  /**
   * ZooKeeper settings; the cache opens (and closes) its own session. `sessionTimeoutMs` defaults to
   * 10_000 and `connectTimeoutMs` to 5_000. Access control: `auth: [{ scheme: 'digest', credentials:
   * 'user:pass' }]` and `acl: 'creator'` (default `'open'`) put the lock root and every lock znode under
   * that credential, world-readable unless `readableByAnyone: false` (see docs/access-control.md).
   */
  zookeeper: ZooKeeperConnectionOptions;
  /**
   * A Redis URL, a list of cluster seed URLs, ioredis options, or an existing ioredis `Redis`/`Cluster`.
   * An instance you pass is yours: `close()` leaves it open. Credentials: `redis://user:pass@host`
   * or `{ username, password }`; TLS: `rediss://…` or `{ tls: { … } }` (passed to ioredis as given).
   * Passwords never appear in errors.
   */
  redis: string | string[] | RedisOptions | Redis | Cluster;
  /** Scopes Redis keys (`zkoc:<ns>:e:<key>`) and lock paths (`/zkoc/<ns>/locks`). `[A-Za-z0-9_.-]{1,128}`. */
  namespace: string;
  /** How long a written value is fresh. @default 3_600_000 */
  ttlMs?: number;
  /** How long `get`/`set`/`invalidate` wait for the key's lock before `LockTimeoutError`. @default 5_000 */
  lockTimeoutMs?: number;
  /**
   * How long an entry's timestamp is remembered after its value stops being fresh (and how long a
   * tombstone lives), so a writer slower than `ttlMs` still cannot put an older value back.
   * Must be at least `lockTimeoutMs + sessionTimeoutMs`. @default max(600_000, 2 × (lockTimeoutMs + sessionTimeoutMs)),
   * where 600_000 is the store's own default (`ORDERED_STORE_DEFAULTS.retentionMs`)
   */
  retentionMs?: number;
  /** Serve a value up to this long past its expiry while one caller refreshes it, or when the load fails. @default 0 */
  graceMs?: number;
  /** Encodes values for Redis. @default jsonCodec */
  codec?: Codec<T>;
  /** Largest encoded value accepted, in bytes. @default 1_048_576 */
  maxValueBytes?: number;
  /** Names this process in lock znodes and written entries: 1 to 256 UTF-8 bytes. @default `${hostname}:${pid}` */
  label?: string;
  /**
   * Bound on a stuck Redis connection this cache creates: when its oldest waiting command has had no
   * reply for this long, every waiting command fails with ConnectionError (one timer per connection,
   * not per command). @default 5_000
   */
  redisCommandTimeoutMs?: number;
  /** Bound on opening the Redis connection. @default 5_000 */
  redisConnectTimeoutMs?: number;
  /**
   * OpenTelemetry spans for get/set/invalidate/withLock, when `@opentelemetry/api` is installed and
   * the application registered an SDK (docs/observability.md). A `get` that is a fresh hit is traced
   * only inside a sampled trace; `{ rootHits: true }` gives every hit with no parent span a root span
   * of its own (a sampling decision per hit: about half a hit's CPU time). @default true
   */
  tracing?: boolean | TracingOptions;
  /**
   * What `get`/`getEntry` do when a server cannot answer. `'throw'`: fail with ConnectionError.
   * `'load'`: when Redis fails (unreachable, silent, a cluster slot down), return the loader's answer
   * uncached and skip Redis (a circuit breaker with a background probe) until it answers again; when
   * ZooKeeper is unreachable (connection not `connected`), fill without the key's lock, still fenced
   * by the compare script. Writes (`set`, `invalidate`) are not affected. @default 'throw'
   */
  onCacheUnavailable?: 'throw' | 'load';
  /**
   * Fold concurrent `set`/`invalidate` calls of one key in this process into one lock cycle and one
   * script call: the newest is written, the others resolve as the script would have answered them
   * (README "Write coalescing"). Calls with a `signal` are never folded. @default true
   */
  coalesceWrites?: boolean;
  /**
   * An in-process copy of entries read from Redis, kept exact by Redis client tracking and a read barrier
   * (one PING per batch of reads): a read never returns what a Redis read at its start could not (README
   * "Near cache"). Standalone Redis 6+ only (off on a Cluster). `false` turns it off. @default on, 10_000 entries, 64 MiB
   */
  nearCache?: boolean | NearCacheOptions;
}

/** `tracing` as an object: tracing on, with these settings. */
export interface TracingOptions {
  /** A root span for a `get` that is a fresh hit with no parent span. @default false */
  rootHits?: boolean;
}

/**
 * Defaults of the options only the cache has, frozen. The others belong to the layer that uses
 * them: `CONNECTION_DEFAULTS` (zookeeper), `LOCK_MANAGER_DEFAULTS` (lockTimeoutMs is its
 * `timeoutMs`), `ORDERED_STORE_DEFAULTS` (ttlMs, retentionMs's floor, maxValueBytes).
 */
export const DEFAULTS = Object.freeze({
  lockTimeoutMs: LOCK_MANAGER_DEFAULTS.timeoutMs,
  graceMs: 0,
  redisCommandTimeoutMs: 5_000,
  redisConnectTimeoutMs: 5_000,
  onCacheUnavailable: 'throw' as const,
});

/** The whole option tree, resolved: what each layer is built from, before any socket opens. */
export interface ParsedOptions<T> {
  /** Validated by the connection's own parser; `ZooKeeperConnection.connect` takes it as is. */
  zookeeper: ZooKeeperConnectionOptions;
  redis: OrderedCacheOptions<T>['redis'];
  namespace: string;
  /** What the cache's LockManager is built from. */
  locks: ResolvedLockManagerOptions;
  /** What the cache's OrderedStore is built from. */
  store: ResolvedOrderedStoreOptions<T>;
  ttlMs: number;
  lockTimeoutMs: number;
  retentionMs: number;
  graceMs: number;
  codec: Codec<T>;
  maxValueBytes: number;
  label: string;
  redisCommandTimeoutMs: number;
  redisConnectTimeoutMs: number;
  tracing: { enabled: boolean; rootHits: boolean };
  onCacheUnavailable: 'throw' | 'load';
  coalesceWrites: boolean;
  /** `undefined`: off. */
  nearCache: NearCacheLimits | undefined;
}

// Bounds of the cache's own durations: each is handed to a timer (ioredis's, or the lock's).
const TIMER_MS: WholeNumberBounds = { min: 1, max: MAX_TIMER_MS, unit: 'ms', maxNote: 'about 24.8 days' };
const GRACE_MS: WholeNumberBounds = { ...TIMER_MS, min: 0 };

const KNOWN_KEYS: readonly (keyof OrderedCacheOptions)[] = [
  'zookeeper',
  'redis',
  'namespace',
  'ttlMs',
  'lockTimeoutMs',
  'retentionMs',
  'graceMs',
  'codec',
  'maxValueBytes',
  'label',
  'redisCommandTimeoutMs',
  'redisConnectTimeoutMs',
  'tracing',
  'onCacheUnavailable',
  'coalesceWrites',
  'nearCache',
];

/**
 * Resolves the whole option tree once, each layer with its own parser (ZooKeeper connection, lock
 * manager, ordered store), so that a bad option anywhere is rejected before anything is opened.
 * Messages name options as the caller wrote them (`zookeeper.sessionTimeoutMs`, `label`).
 * @throws InvalidOptionsError for an unknown key, a bad value or a contradictory combination.
 */
export function parseOptions<T>(options: OrderedCacheOptions<T>): ParsedOptions<T> {
  assertOptionsObject(options, 'options');
  rejectUnknownKeys(options, KNOWN_KEYS, optionNamer());
  if (options.zookeeper === undefined) {
    throw new InvalidOptionsError('zookeeper is required: { connectString: "127.0.0.1:2181" }');
  }
  const zk = parseConnectionOptions(options.zookeeper, optionNamer('zookeeper.'));
  if (options.redis === undefined || options.redis === null || options.redis === '') {
    throw new InvalidOptionsError(
      `redis must be a URL, a list of cluster URLs, ioredis options, or an ioredis Redis/Cluster instance, got ${describeValue(options.redis)}`,
    );
  }
  if (usesKeyPrefix(options.redis)) {
    // OrderedStore refuses such a client too, but only after the connections are open
    throw new InvalidOptionsError('redis must not use the ioredis keyPrefix option; namespace scopes the keys');
  }
  assertValidNamespace(options.namespace);
  const lockTimeoutMs = wholeNumber(options.lockTimeoutMs, 'lockTimeoutMs', TIMER_MS, DEFAULTS.lockTimeoutMs);
  const label = checkLabel(options.label ?? defaultLabel(), 'label');
  const minimumRetention = lockTimeoutMs + zk.sessionTimeoutMs;
  const store = parseOrderedStoreOptions<T>(
    {
      namespace: options.namespace,
      ttlMs: options.ttlMs,
      retentionMs: options.retentionMs ?? Math.max(ORDERED_STORE_DEFAULTS.retentionMs, 2 * minimumRetention),
      writerLabel: label,
      codec: options.codec,
      maxValueBytes: options.maxValueBytes,
    },
    optionNamer('', { writerLabel: 'label' }),
  );
  if (store.retentionMs < minimumRetention) {
    throw new InvalidOptionsError(
      `retentionMs=${store.retentionMs} must be at least lockTimeoutMs + zookeeper.sessionTimeoutMs = ${minimumRetention}: a writer can hold a value that long before writing it`,
    );
  }
  const locks = parseLockManagerOptions(
    // the lock root of a namespace; OrderedCache and the CLI must agree on it
    { root: namespaceLockRoot(options.namespace), label, timeoutMs: lockTimeoutMs },
    optionNamer('', { timeoutMs: 'lockTimeoutMs' }),
  );
  return {
    // only the keys the caller set, so that parsing it again (in connect) reads the same input
    zookeeper: { ...options.zookeeper },
    redis: options.redis,
    namespace: options.namespace,
    locks,
    store,
    ttlMs: store.ttlMs,
    lockTimeoutMs,
    retentionMs: store.retentionMs,
    graceMs: wholeNumber(options.graceMs, 'graceMs', GRACE_MS, DEFAULTS.graceMs),
    codec: store.codec,
    maxValueBytes: store.maxValueBytes,
    label,
    redisCommandTimeoutMs: wholeNumber(
      options.redisCommandTimeoutMs,
      'redisCommandTimeoutMs',
      TIMER_MS,
      DEFAULTS.redisCommandTimeoutMs,
    ),
    redisConnectTimeoutMs: wholeNumber(
      options.redisConnectTimeoutMs,
      'redisConnectTimeoutMs',
      TIMER_MS,
      DEFAULTS.redisConnectTimeoutMs,
    ),
    tracing: tracingOption(options.tracing),
    onCacheUnavailable: oneOf(
      options.onCacheUnavailable,
      'onCacheUnavailable',
      ['throw', 'load'],
      DEFAULTS.onCacheUnavailable,
    ),
    coalesceWrites: flag(options.coalesceWrites, 'coalesceWrites', true),
    nearCache: parseNearCacheOption(options.nearCache),
  };
}

function flag(value: unknown, name: string, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean')
    throw new InvalidOptionsError(`${name} must be true or false, got ${describeValue(value)}`);
  return value;
}

/** `tracing`: a flag, or an object of settings (tracing on); unknown keys are rejected with a suggestion. */
function tracingOption(value: OrderedCacheOptions['tracing']): ParsedOptions<unknown>['tracing'] {
  if (value === undefined || typeof value === 'boolean') return { enabled: value ?? true, rootHits: false };
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new InvalidOptionsError(`tracing must be true, false or { rootHits }, got ${describeValue(value)}`);
  }
  rejectUnknownKeys(value, ['rootHits'], optionNamer('tracing.'));
  return { enabled: true, rootHits: flag(value.rootHits, 'tracing.rootHits', false) };
}

/** True when `redis` (ioredis options, or a client's options) sets `keyPrefix`. */
function usesKeyPrefix(redis: unknown): boolean {
  if (typeof redis !== 'object' || redis === null || Array.isArray(redis)) return false;
  const own = (redis as { options?: unknown }).options;
  const settings = (typeof own === 'object' && own !== null ? own : redis) as {
    keyPrefix?: string;
    redisOptions?: { keyPrefix?: string };
  };
  return Boolean(settings.keyPrefix || settings.redisOptions?.keyPrefix);
}
