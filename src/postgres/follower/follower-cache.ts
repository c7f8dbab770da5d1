import type { TimestampInput } from '../../core/timestamp.js';
import type { ZooKeeperConnection } from '../../zookeeper/zookeeper-connection.js';

/** One entry's outcome from the cache's batched writes. */
export interface BatchOutcome {
  key: string;
  status: 'written' | 'duplicate' | 'stale' | 'failed';
  error?: unknown;
}

/**
 * The part of `OrderedCache` the follower needs (structural, so `./postgres` does not load the
 * cache): its namespace, its ZooKeeper connection (for the election), SCAN, the lock listing and the batched writes.
 */
export interface FollowerCache {
  readonly namespace: string;
  readonly zookeeper: ZooKeeperConnection;
  /** The entry store: its SCAN finds a truncated table's cached keys. */
  readonly store: { scan(prefix?: string): AsyncIterable<string> };
  /** The per-key locks: a TRUNCATE also tombstones keys being filled right now. */
  readonly locks: { list(): Promise<readonly { key: string }[]> };
  invalidateMany(entries: readonly { key: string; timestamp: TimestampInput }[]): Promise<BatchOutcome[]>;
  setMany(entries: readonly { key: string; value: unknown; timestamp: TimestampInput }[]): Promise<BatchOutcome[]>;
}
