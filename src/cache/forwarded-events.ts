import type { LockManager } from '../zookeeper/lock-manager.js';
import { warnReleaseFailed } from '../zookeeper/lock-manager-api.js';
import type { ZooKeeperConnection } from '../zookeeper/zookeeper-connection.js';
import type { CacheEventEmitter } from './events.js';

/**
 * What the cache's lock manager and ZooKeeper connection report, on `cache.events` too: one place
 * for an application's logs and metrics, without reaching into `cache.locks` or `cache.zookeeper`.
 */
export function forwardLockEvents(locks: LockManager, zk: ZooKeeperConnection, events: CacheEventEmitter): void {
  locks.on('node-recreated', (key, deletedPath) => events.emit('node-recreated', { key, deletedPath }));
  locks.on('foreign-node', (key, path, reason) => events.emit('foreign-node', { key, path, reason }));
  zk.on('state', (state, previous) => events.emit('session-state', { state, previous }));
  // A refused release must never pass in silence: a warning when nobody listens on cache.events either.
  locks.on('release-failed', (key, path, error) => {
    if (events.listens('release-failed')) events.emit('release-failed', { key, path, error });
    else warnReleaseFailed(path, error);
  });
}
