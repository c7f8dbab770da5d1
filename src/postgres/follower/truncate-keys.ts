import type { KeyWrite, TruncateMark } from './change-decoder.js';
import type { FollowerCache } from './follower-cache.js';

/** The tombstones of a batch's TRUNCATEs, and how many keys each table's TRUNCATE found. */
export interface TruncateWrites {
  writes: KeyWrite[];
  tables: { table: string; version: bigint; keys: number }[];
}

/**
 * Every key of each truncated table that is cached or being filled, as a tombstone at the
 * TRUNCATE's version: the keys the templates match among the locks held or waited for, then among a
 * SCAN of the namespace from each template's literal prefix. Locks first: a fill that read the row
 * before the TRUNCATE holds its key's lock until it has written, so it is either still listed or
 * already in Redis when the SCAN starts. A key cached from another table whose template has the
 * same shape is tombstoned too (harmless: the next read reloads it).
 */
export async function truncateWrites(cache: FollowerCache, marks: readonly TruncateMark[]): Promise<TruncateWrites> {
  const writes: KeyWrite[] = [];
  const tables: TruncateWrites['tables'] = [];
  const locked = (await cache.locks.list()).map((state) => state.key);
  for (const { table, version } of marks) {
    const keys = new Set<string>(); // SCAN may yield a key twice
    for (const template of table.templates ?? []) {
      for (const key of locked) if (template.match(key)) keys.add(key);
      for await (const key of cache.store.scan(template.prefix)) if (template.match(key)) keys.add(key);
    }
    for (const key of keys) writes.push({ key, version, kind: 'tombstone' });
    tables.push({ table: table.id, version, keys: keys.size });
  }
  return { writes, tables };
}
