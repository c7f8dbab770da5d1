import type { Cluster, Redis } from 'ioredis';
import { ZooKeeperConnection } from '../zookeeper/zookeeper-connection.js';
import type { ParsedOptions } from './options.js';
import { openRedis } from './redis-connection.js';

/**
 * Opens Redis (or adopts the client passed in), then the ZooKeeper session, and hands both to
 * `build`. Whatever fails after a connection opened closes what was opened: a failed connect never
 * leaves a handle that keeps the process alive.
 * @throws ConnectionError when a server does not answer within its connect timeout.
 */
export async function openConnections<T, R>(
  parsed: ParsedOptions<T>,
  build: (zk: ZooKeeperConnection, redis: { client: Redis | Cluster; owned: boolean }) => R,
): Promise<R> {
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
  try {
    return build(zk, redis);
  } catch (error) {
    // not expected (the options were resolved before anything opened), but never leave two handles open
    if (redis.owned) redis.client.disconnect();
    await zk.close();
    throw error;
  }
}
