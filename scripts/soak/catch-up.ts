import type pg from 'pg';
import type { OrderedStore } from '../../src/redis/ordered-store.js';
import { SOAK_TABLE, soakKey } from './workload.js';

/**
 * Waits until the follower has applied everything committed so far: one more plain-SQL UPDATE (a
 * sentinel) must reach the cache as an entry at its version. The stream is in commit order, so every
 * earlier change was applied before it. Throws after `timeoutMs`.
 */
export async function waitForFollower(
  pool: pg.Pool,
  store: OrderedStore,
  timeoutMs: number,
): Promise<{ ms: number; key: string; version: bigint }> {
  const started = Date.now();
  const { rows } = await pool.query(
    `UPDATE ${SOAK_TABLE} SET note = 'sentinel' WHERE id = (SELECT min(id) FROM ${SOAK_TABLE}) RETURNING id, cache_version::text AS v`,
  );
  const key = soakKey(rows[0].id);
  const version = BigInt(rows[0].v);
  for (;;) {
    const entry = await store.readForServing(key);
    if (entry !== undefined && entry.timestamp >= version) return { ms: Date.now() - started, key, version };
    if (Date.now() - started > timeoutMs)
      throw new Error(
        `the follower did not apply the sentinel UPDATE of ${key} (version ${version}) within ${timeoutMs} ms`,
      );
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
