/**
 * zk-ordered-cache: a Redis cache filled from PostgreSQL that never goes backwards.
 * Per-key ZooKeeper locks for efficiency, DB-sourced timestamps compared in Lua for safety.
 */

export type {
  BatchWriteOptions,
  BatchWriteResult,
  InvalidateEntry,
  SetEntry,
} from './cache/batch-writes.js';
export { type Closable, type CloseOnSignalsOptions, closeOnSignals } from './cache/close-on-signals.js';
export { CacheEventEmitter, type CacheEventName, type CacheEvents, type NearCacheState } from './cache/events.js';
export type { Loader, LoaderResult } from './cache/loader-result.js';
export { NEAR_CACHE_DEFAULTS, type NearCacheOptions } from './cache/near-cache-options.js';
export { DEFAULTS, type OrderedCacheOptions, type TracingOptions } from './cache/options.js';
export {
  type CacheResult,
  type GetOptions,
  type Inspection,
  OrderedCache,
  type SetCallOptions,
  type WriteCallOptions,
} from './cache/ordered-cache.js';
export type { RedisSpec } from './cache/redis-connection.js';
export { bufferCodec, type Codec, jsonCodec } from './codec/index.js';
export { assertValidKey, decodeKeyFromZnodeName, encodeKeyAsZnodeName, MAX_KEY_BYTES } from './core/key.js';
export {
  canonicalTimestamp,
  compareTimestampText,
  MAX_TIMESTAMP,
  parseTimestamp,
  type TimestampInput,
} from './core/timestamp.js';
export * from './errors.js';
export type { Entry, EntryKind, ServingEntry, WriteResult } from './redis/entry.js';
export { OrderedStore, type PreparedWrite, type WriteOptions } from './redis/ordered-store.js';
export { ORDERED_STORE_DEFAULTS, type OrderedStoreOptions } from './redis/ordered-store-options.js';
export {
  type AcquireOptions,
  CONNECTION_DEFAULTS,
  type ConnectionState,
  digestAclId,
  type HolderInfo,
  type InspectOptions,
  LOCK_MANAGER_DEFAULTS,
  type Lock,
  LockManager,
  type LockManagerOptions,
  type LockNode,
  type LockState,
  type ZooKeeperAclEntry,
  type ZooKeeperAclSpec,
  type ZooKeeperAuth,
  ZooKeeperConnection,
  type ZooKeeperConnectionOptions,
  type ZooKeeperPermission,
} from './zookeeper/index.js';
