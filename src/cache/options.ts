import { hostname } from 'node:os';
import type { Cluster, Redis, RedisOptions } from 'ioredis';
import type { Codec } from '../codec/codec.js';
import { jsonCodec } from '../codec/json-codec.js';
import { assertValidNamespace } from '../core/namespace.js';
import { InvalidOptionsError } from '../errors.js';
import { resolveAcl } from '../zookeeper/acl.js';
import type { ZooKeeperAuth, ZooKeeperConnectionOptions } from '../zookeeper/connection-options.js';

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
   * Must be at least `lockTimeoutMs + sessionTimeoutMs`. @default max(600_000, 2 × (lockTimeoutMs + sessionTimeoutMs))
   */
  retentionMs?: number;
  /** Serve a value up to this long past its expiry while one caller refreshes it, or when the load fails. @default 0 */
  graceMs?: number;
  /** Encodes values for Redis. @default jsonCodec */
  codec?: Codec<T>;
  /** Largest encoded value accepted, in bytes. @default 1_048_576 */
  maxValueBytes?: number;
  /** Names this process in lock znodes and written entries. @default `${hostname}:${pid}` */
  label?: string;
  /** Per-command deadline for Redis connections this cache creates. @default 5_000 */
  redisCommandTimeoutMs?: number;
  /** Bound on opening the Redis connection. @default 5_000 */
  redisConnectTimeoutMs?: number;
}

/** Defaults, frozen; see each option's `@default`. */
export const DEFAULTS = Object.freeze({
  sessionTimeoutMs: 10_000,
  connectTimeoutMs: 5_000,
  ttlMs: 3_600_000,
  lockTimeoutMs: 5_000,
  graceMs: 0,
  maxValueBytes: 1_048_576,
  redisCommandTimeoutMs: 5_000,
  redisConnectTimeoutMs: 5_000,
});

export interface ParsedOptions<T> {
  zookeeper: Required<Omit<ZooKeeperConnectionOptions, 'auth' | 'acl' | 'readableByAnyone'>> &
    Pick<ZooKeeperConnectionOptions, 'acl' | 'readableByAnyone'> & { auth: ZooKeeperAuth[] };
  redis: OrderedCacheOptions<T>['redis'];
  namespace: string;
  ttlMs: number;
  lockTimeoutMs: number;
  retentionMs: number;
  graceMs: number;
  codec: Codec<T>;
  maxValueBytes: number;
  label: string;
  redisCommandTimeoutMs: number;
  redisConnectTimeoutMs: number;
}

/** Applies defaults and rejects bad values and contradictory combinations with {@link InvalidOptionsError}. */
export function parseOptions<T>(options: OrderedCacheOptions<T>): ParsedOptions<T> {
  if (typeof options !== 'object' || options === null) throw new InvalidOptionsError('options must be an object');
  const zk = options.zookeeper;
  if (typeof zk !== 'object' || zk === null || typeof zk.connectString !== 'string' || zk.connectString.trim() === '') {
    throw new InvalidOptionsError('zookeeper.connectString must be a non-empty string like "127.0.0.1:2181"');
  }
  if (options.redis === undefined || options.redis === null || options.redis === '') {
    throw new InvalidOptionsError(
      'redis must be a URL, a list of cluster URLs, ioredis options, or an ioredis Redis/Cluster instance',
    );
  }
  assertValidNamespace(options.namespace);
  // fail before any connection opens; ZooKeeperConnection.connect resolves it again for itself
  if (zk.readableByAnyone !== undefined && typeof zk.readableByAnyone !== 'boolean') {
    throw new InvalidOptionsError('zookeeper.readableByAnyone must be a boolean');
  }
  resolveAcl(zk.acl ?? 'open', zk.readableByAnyone ?? true, Array.isArray(zk.auth) ? zk.auth.length : 0);
  const sessionTimeoutMs = wholeNumber(zk.sessionTimeoutMs, 'zookeeper.sessionTimeoutMs', DEFAULTS.sessionTimeoutMs, 1);
  const lockTimeoutMs = wholeNumber(options.lockTimeoutMs, 'lockTimeoutMs', DEFAULTS.lockTimeoutMs, 1);
  const minimumRetention = lockTimeoutMs + sessionTimeoutMs;
  const retentionMs = wholeNumber(options.retentionMs, 'retentionMs', Math.max(600_000, 2 * minimumRetention), 1);
  if (retentionMs < minimumRetention) {
    throw new InvalidOptionsError(
      `retentionMs=${retentionMs} must be at least lockTimeoutMs + zookeeper.sessionTimeoutMs = ${minimumRetention}: a writer can hold a value that long before writing it`,
    );
  }
  const codec = options.codec ?? (jsonCodec as unknown as Codec<T>);
  if (typeof codec.encode !== 'function' || typeof codec.decode !== 'function') {
    throw new InvalidOptionsError('codec must have encode(value) and decode(bytes) functions');
  }
  const label = options.label ?? `${hostname()}:${process.pid}`;
  if (typeof label !== 'string' || label.length === 0 || label.length > 256) {
    throw new InvalidOptionsError('label must be a string of 1-256 characters');
  }
  return {
    zookeeper: {
      connectString: zk.connectString,
      sessionTimeoutMs,
      connectTimeoutMs: wholeNumber(zk.connectTimeoutMs, 'zookeeper.connectTimeoutMs', DEFAULTS.connectTimeoutMs, 1),
      auth: zk.auth ?? [],
      // checked (with auth) by ZooKeeperConnection.connect; copied only when set
      ...(zk.acl !== undefined && { acl: zk.acl }),
      ...(zk.readableByAnyone !== undefined && { readableByAnyone: zk.readableByAnyone }),
    },
    redis: options.redis,
    namespace: options.namespace,
    ttlMs: wholeNumber(options.ttlMs, 'ttlMs', DEFAULTS.ttlMs, 1),
    lockTimeoutMs,
    retentionMs,
    graceMs: wholeNumber(options.graceMs, 'graceMs', DEFAULTS.graceMs, 0),
    codec,
    maxValueBytes: wholeNumber(options.maxValueBytes, 'maxValueBytes', DEFAULTS.maxValueBytes, 1),
    label,
    redisCommandTimeoutMs: wholeNumber(
      options.redisCommandTimeoutMs,
      'redisCommandTimeoutMs',
      DEFAULTS.redisCommandTimeoutMs,
      1,
    ),
    redisConnectTimeoutMs: wholeNumber(
      options.redisConnectTimeoutMs,
      'redisConnectTimeoutMs',
      DEFAULTS.redisConnectTimeoutMs,
      1,
    ),
  };
}

/** A whole number in [min, 2^31): Node timers cannot go past 2^31−1 ms. */
function wholeNumber(value: unknown, name: string, fallback: number, min: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > 2_147_483_647) {
    throw new InvalidOptionsError(`${name} must be a whole number from ${min} to 2147483647, got ${String(value)}`);
  }
  return value;
}
