import type pg from 'pg';
import type { LoaderResult } from '../../src/cache/loader-result.js';
import type { OrderedCache } from '../../src/cache/ordered-cache.js';
import type { Follower } from '../../src/postgres/index.js';
import { ensureVersionColumn, loadVersioned } from '../../src/postgres/index.js';

export interface Product {
  id: number;
  name: string;
  price: string;
}

let tables = 0;

/** A fresh `products_N` table with `rows` rows, a version column and REPLICA IDENTITY FULL. */
export async function productsTable(pool: pg.Pool, rows: number): Promise<string> {
  tables += 1;
  const table = `products_${process.pid}_${tables}`;
  await pool.query(`CREATE TABLE ${table} (id int PRIMARY KEY, name text NOT NULL, price numeric NOT NULL)`);
  if (rows > 0)
    await pool.query(`INSERT INTO ${table} SELECT i, 'item ' || i, 100 FROM generate_series(1, $1) AS i`, [rows]);
  await ensureVersionColumn(pool, { table, replicaIdentityFull: true });
  return table;
}

/** A loader for one product row, version included. */
export function productLoader(pool: pg.Pool, table: string, id: number): () => Promise<LoaderResult<Product>> {
  return async () => {
    const row = await loadVersioned<Product>(
      pool,
      `SELECT id, name, price, cache_version FROM ${table} WHERE id = $1`,
      [id],
    );
    return row && { value: row.value, timestamp: row.timestamp };
  };
}

/** Resolves once the follower is the active one. */
export function whenActive(follower: Follower): Promise<void> {
  if (follower.active) return Promise.resolve();
  return new Promise((resolve) => follower.events.once('active', () => resolve()));
}

/** The cache's stored timestamp and kind for `key`. */
export async function stored(
  cache: OrderedCache<Product>,
  key: string,
): Promise<{ kind?: string; timestamp?: bigint }> {
  const entry = await cache.store.read(key);
  return { kind: entry?.kind, timestamp: entry?.timestamp };
}
