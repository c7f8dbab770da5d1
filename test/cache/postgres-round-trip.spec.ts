import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OrderedCache } from '../../src/cache/ordered-cache.js';
import { deleteVersioned, ensureVersionColumn, loadVersioned, updateAndCache } from '../../src/postgres/index.js';

import type { StartedStack } from '../../src/testing/index.js';
import { startTestStack } from '../support/stack.js';
import { openCache } from './fixture.js';

type Product = { id: number; price: string };

// The library's PostgreSQL helpers and the cache together: versions from the trigger order every
// write, and the cache always ends equal to the committed row.
describe('PostgreSQL versions through the cache', () => {
  let stack: StartedStack;
  let pool: pg.Pool;
  let cache: OrderedCache<Product>;

  beforeAll(async () => {
    stack = await startTestStack();
    pool = new pg.Pool({ connectionString: stack.postgres.url, max: 8 });
    await pool.query('CREATE TABLE products (id int PRIMARY KEY, price text NOT NULL)');
    await ensureVersionColumn(pool, { table: 'products' });
    cache = await openCache<Product>(stack);
  });
  afterAll(async () => {
    await cache?.close();
    await pool?.end();
    await stack?.stop();
  });

  const load = (id: number) => () =>
    loadVersioned<Product>(pool, 'SELECT id, price, cache_version FROM products WHERE id = $1', [id]);

  it('updateAndCache writes the committed row with its version; concurrent updates leave the newest', async () => {
    await pool.query(`INSERT INTO products VALUES (1, '$100')`);
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        updateAndCache(
          cache,
          pool,
          'product:1',
          'UPDATE products SET price = $2 WHERE id = $1 RETURNING id, price, cache_version',
          [1, `$${i}`],
        ),
      ),
    );
    expect(results.every((r) => r && ['written', 'stale'].includes(r.cache.status))).toBe(true);
    const row = (await load(1)())!;
    expect(await cache.peek('product:1')).toMatchObject({ kind: 'value', value: row.value, timestamp: row.timestamp });
  });

  it('updateAndCache returns undefined and caches nothing when no row matched', async () => {
    expect(
      await updateAndCache(
        cache,
        pool,
        'product:404',
        'UPDATE products SET price = $2 WHERE id = $1 RETURNING id, price, cache_version',
        [404, '$1'],
      ),
    ).toBeUndefined();
    expect(await cache.peek('product:404')).toBeUndefined();
  });

  it('a delete tombstones the key at a version that orders before any re-insert', async () => {
    await pool.query(`INSERT INTO products VALUES (2, '$20')`);
    expect(await cache.get('product:2', load(2))).toEqual({ id: 2, price: '$20' });
    const deleted = await deleteVersioned(pool, 'products', 'id = $1', [2]);
    expect(deleted.deletedRows).toBe(1);
    expect((await cache.invalidate('product:2', deleted.timestamp)).status).toBe('written');
    // The row is gone: a loader answering "missing" at the delete's version is cached negatively.
    expect(
      await cache.get('product:2', async () => (await load(2)()) ?? { missing: true, timestamp: deleted.timestamp }),
    ).toBeUndefined();
    // A re-insert gets a newer version, so the cache accepts it over the tombstone.
    await pool.query(`INSERT INTO products VALUES (2, '$22')`);
    const reinserted = (await load(2)())!;
    expect(reinserted.timestamp).toBeGreaterThan(deleted.timestamp);
    expect((await cache.set('product:2', reinserted.value, reinserted.timestamp)).status).toBe('written');
  });
});
