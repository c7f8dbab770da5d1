/**
 * zk-ordered-cache: a Redis cache filled from PostgreSQL that never goes backwards.
 * Per-key ZooKeeper locks for efficiency, DB-sourced timestamps compared in Lua for safety.
 */
export { OrderedCache, type CacheResult, type GetOptions, type Inspection, type WriteCallOptions } from './cache/ordered-cache.js';
export { DEFAULTS, type OrderedCacheOptions } from './cache/options.js';
export type { Loader, LoaderResult } from './cache/loader-result.js';
export { CacheEventEmitter, type CacheEventName, type CacheEvents } from './cache/events.js';
export type { RedisSpec } from './cache/redis-connection.js';

export { OrderedStore, type PreparedWrite, type WriteOptions } from './redis/ordered-store.js';
export type { OrderedStoreOptions } from './redis/ordered-store-options.js';
export type { Entry, EntryKind, ServingEntry, WriteResult } from './redis/entry.js';

export {
  ZooKeeperConnection,
  LockManager,
  CONNECTION_DEFAULTS,
  type ConnectionState,
  type ZooKeeperConnectionOptions,
  type ZooKeeperAuth,
  type LockManagerOptions,
  type AcquireOptions,
  type InspectOptions,
  type Lock,
  type LockNode,
  type LockState,
  type HolderInfo,
  digestAclId,
  type ZooKeeperAclSpec,
  type ZooKeeperAclEntry,
  type ZooKeeperPermission,
} from './zookeeper/index.js';

export { jsonCodec, bufferCodec, type Codec } from './codec/index.js';

export * from './errors.js';
export { MAX_KEY_BYTES, assertValidKey, encodeKeyAsZnodeName, decodeKeyFromZnodeName } from './core/key.js';
export { MAX_TIMESTAMP, canonicalTimestamp, parseTimestamp, compareTimestampText, type TimestampInput } from './core/timestamp.js';
