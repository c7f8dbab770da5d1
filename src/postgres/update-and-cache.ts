import type { TimestampInput } from '../core/timestamp.js';
import type { WriteResult } from '../redis/entry.js';
import { type LoadVersionedOptions, updateVersioned, type Versioned } from './load-versioned.js';
import type { PgQueryable } from './queryable.js';

/** The part of `OrderedCache` this helper needs (kept structural so `./postgres` does not load the cache). */
export interface OrderedWriter<T> {
  set(key: string, value: T, ts: TimestampInput, options?: { epoch?: string }): Promise<WriteResult>;
  invalidate(key: string, ts: TimestampInput): Promise<WriteResult>;
  /** When present (OrderedCache has it), taken before the UPDATE to fence the write (see below). */
  epoch?(key: string): Promise<string>;
}

/** What {@link updateAndCache} returns. */
export interface UpdateAndCacheResult<T> extends Versioned<T> {
  /** What the compare script did with the new value (`stale` when an even newer version was already cached). */
  cache: WriteResult;
}

/**
 * Runs an `UPDATE … RETURNING` (autocommit: the statement is its own transaction, so the row is
 * committed before the cache sees it), then writes the returned value with its version through the
 * cache's lock and compare script. Returns `undefined` when no row matched (nothing is cached).
 *
 * The key's epoch is taken before the UPDATE and carried to `set`: if Redis loses its data while
 * the statement runs, the write is refused (`stale`, reason `epoch`) rather than risk caching a
 * version older than one whose write was lost (docs/design.md "The epoch fence"). So Redis must
 * answer that GET: when it cannot, the error is thrown before the database is touched.
 *
 * Inside your own transaction, run {@link updateVersioned} instead and call `cache.set` after COMMIT:
 * a value cached before its commit could be rolled back while the cache keeps it.
 *
 * @throws what {@link updateVersioned} and `cache.set` throw. When the database update succeeded but
 *   the cache write failed (e.g. lock timeout), the error is thrown: invalidate or retry with the same
 *   version — the timestamp makes a retry safe.
 */
export async function updateAndCache<T = Record<string, unknown>>(
  cache: OrderedWriter<T>,
  db: PgQueryable,
  key: string,
  sql: string,
  params: readonly unknown[] = [],
  options: LoadVersionedOptions<T> = {},
): Promise<UpdateAndCacheResult<T> | undefined> {
  const epoch = await cache.epoch?.(key);
  const updated = await updateVersioned<T>(db, sql, params, options);
  if (!updated) return undefined;
  const fence = epoch === undefined ? undefined : { epoch };
  return { ...updated, cache: await cache.set(key, updated.value, updated.timestamp, fence) };
}
