import type { Redis } from 'ioredis';
import type pg from 'pg';
import type { OrderedStore } from '../../redis/ordered-store.js';
import { plainRedisKey, versionCounterKey, versionedDataKey } from './protocol.js';
import type { CacheObservation, DatabaseRow } from './scenarios/scenario.js';
import { isOrdered, type RaceStrategy } from './types.js';

/**
 * What the cache serves for `key` under `strategy`, read the way its readers read it: the ordered
 * store's entry; for versioned keys the data key at the counter's current version; else the plain key.
 */
export async function observeCache(
  redis: Redis,
  store: OrderedStore<string>,
  namespace: string,
  strategy: RaceStrategy,
  key: string,
): Promise<CacheObservation> {
  if (isOrdered(strategy)) {
    const entry = await store.read(key);
    if (!entry) return { kind: 'empty' };
    if (entry.kind === 'value') return { kind: 'value', value: entry.value, timestamp: entry.timestamp };
    return { kind: 'tombstone', timestamp: entry.timestamp };
  }
  const redisKey =
    strategy === 'versioned-keys'
      ? versionedDataKey(namespace, key, (await redis.get(versionCounterKey(namespace, key))) ?? '0')
      : plainRedisKey(namespace, strategy, key);
  const value = await redis.get(redisKey);
  return value === null ? { kind: 'empty' } : { kind: 'value', value };
}

/** The iteration's row. @throws Error when it is gone (a database that lost a committed insert) */
export async function readRow(pool: pg.Pool, table: string, rowId: number): Promise<DatabaseRow> {
  const { rows } = await pool.query<{ price: string; v: string }>(
    `SELECT price, cache_version::text AS v FROM ${table} WHERE id = $1`,
    [rowId],
  );
  const row = rows[0];
  if (!row)
    throw new Error(
      `row ${rowId} of ${table} is gone: the database lost a committed insert (a PostgreSQL SIGKILL with synchronous_commit=off?)`,
    );
  return { price: row.price, version: BigInt(row.v) };
}
