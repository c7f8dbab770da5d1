import type { Cluster, Redis } from 'ioredis';
import { OrderedCache } from '../cache/ordered-cache.js';
import { openRedis } from '../cache/redis-connection.js';
import { namespaceLockRoot } from '../core/namespace.js';
import { OrderedStore } from '../redis/index.js';
import { LockManager, ZooKeeperConnection } from '../zookeeper/index.js';
import { type ConnectionOptions, type TimeoutLimits, timeoutLimits, zookeeperAccess } from './connection-options.js';
import { displayCodec, type StoredValue } from './render/stored-value.js';

/** The label zkoc's own lock znodes carry (set/invalidate), so `zkoc locks` shows who it was. */
export const CLI_LABEL = 'zkoc';

/** A read-only view of a namespace's ZooKeeper locks. Close it when done. */
export interface OpenedLocks extends AsyncDisposable {
  connection: ZooKeeperConnection;
  locks: LockManager;
}

/**
 * Opens one ZooKeeper session (bounded by `timeoutMs`) and a LockManager on `/zkoc/<ns>/locks`.
 * @throws ConnectionError naming the server when no session is granted in time.
 */
export async function openLocks(options: ConnectionOptions): Promise<OpenedLocks> {
  const limits = timeoutLimits(options.timeoutMs);
  const connection = await ZooKeeperConnection.connect({
    connectString: options.zk,
    connectTimeoutMs: limits.timerMs,
    sessionTimeoutMs: limits.sessionTimeoutMs,
    ...zookeeperAccess(options),
  });
  const locks = new LockManager(connection, {
    root: lockRoot(options.namespace),
    label: CLI_LABEL,
    timeoutMs: options.timeoutMs,
  });
  return { connection, locks, [Symbol.asyncDispose]: () => connection.close() };
}

/** The lock root of a namespace, the same one OrderedCache uses. */
export const lockRoot = namespaceLockRoot;

/** A Redis connection and a store that decodes any stored bytes for display. */
export interface OpenedStore extends AsyncDisposable {
  redis: Redis | Cluster;
  store: OrderedStore<StoredValue>;
}

/**
 * Connects to Redis (a comma-separated `--redis` is a cluster's seed list) with connect and
 * per-command deadlines of `timeoutMs`.
 * @throws ConnectionError naming the server (password masked) when not ready in time.
 */
export async function openStore(options: ConnectionOptions): Promise<OpenedStore> {
  const { client } = await openRedis(redisTarget(options.redis), {
    connectTimeoutMs: timeoutLimits(options.timeoutMs).timerMs,
    commandTimeoutMs: timeoutLimits(options.timeoutMs).timerMs,
  });
  const store = new OrderedStore<StoredValue>(client, {
    namespace: options.namespace,
    codec: displayCodec,
    writerLabel: CLI_LABEL,
  });
  return { redis: client, store, [Symbol.asyncDispose]: async () => client.disconnect() };
}

/**
 * Connects an OrderedCache to the namespace: `limits.timerMs` bounds every connect, lock wait and
 * Redis command; the ZooKeeper session lasts `limits.sessionTimeoutMs`; lock znodes carry `label`.
 */
export function openCache(
  options: ConnectionOptions,
  limits: Pick<TimeoutLimits, 'timerMs' | 'sessionTimeoutMs'>,
  label = CLI_LABEL,
): Promise<OrderedCache> {
  return OrderedCache.connect({
    zookeeper: {
      connectString: options.zk,
      connectTimeoutMs: limits.timerMs,
      sessionTimeoutMs: limits.sessionTimeoutMs,
      ...zookeeperAccess(options),
    },
    redis: redisTarget(options.redis),
    namespace: options.namespace,
    lockTimeoutMs: limits.timerMs,
    redisConnectTimeoutMs: limits.timerMs,
    redisCommandTimeoutMs: limits.timerMs,
    label,
    nearCache: false, // the CLI writes (set, invalidate, follow) and never reads through get(): no use for it
  });
}

/** `--redis` as a client takes it: a comma-separated list is a cluster's seed list. */
function redisTarget(redis: string): string | string[] {
  const seeds = redis
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  return seeds.length > 1 ? seeds : redis;
}
