import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OrderedCache } from '../../src/cache/ordered-cache.js';
import { printReport } from '../../src/cli/commands/verify.js';
import { Output } from '../../src/cli/output.js';
import { Redactor } from '../../src/cli/redactor.js';
import { ensureVersionColumn, loadVersioned } from '../../src/postgres/index.js';
import { rowVersionFromTable, verifyConsistency } from '../../src/verify/index.js';
import { needs, useStack } from '../support/stack.js';

// A stale key is looked at twice; when Redis fails the second look, verify knows nothing about
// the key: it must say so (unverified), never count the key as caught up or in the nines.
describe('zkoc verify: a re-check that Redis fails', () => {
  const stack = useStack();
  let pool: pg.Pool;
  let cache: OrderedCache;

  beforeAll(async () => {
    pool = new pg.Pool({ connectionString: stack().postgres.url });
    await pool.query('CREATE TABLE products (id int PRIMARY KEY, price int NOT NULL)');
    await ensureVersionColumn(pool, { table: 'products' });
    await pool.query('INSERT INTO products SELECT i, 100 FROM generate_series(1, 3) AS i');
    cache = await OrderedCache.connect({
      zookeeper: { connectString: stack().zookeeper.connectString },
      redis: stack().redis.url,
      namespace: 'recheck',
      redisCommandTimeoutMs: 500,
    });
    for (const id of [1, 2, 3])
      await cache.get(`product:${id}`, () =>
        loadVersioned(pool, 'SELECT id, price, cache_version FROM products WHERE id = $1', [id]),
      );
    await pool.query('UPDATE products SET price = 50 WHERE id = 1'); // bypasses the cache: stale
  });

  afterAll(async () => {
    if (stack().redis.isPaused) await stack().redis.resume();
    await cache?.close();
    await pool?.end();
  });

  it(
    'reports the key as unverified, in the text and --json output, and leaves it out of the nines',
    needs('faults', 'pauses Redis'),
    async () => {
      const table = await rowVersionFromTable(pool, 'products=product:{id}');
      let firstLooks!: () => void;
      const compared = new Promise<void>((resolve) => (firstLooks = resolve));
      // One key at a time: both first looks are done once product:2's row has been read.
      const read = (k: string) => table.read(k).finally(() => k === 'product:2' && firstLooks());
      const verifying = verifyConsistency({
        cache: cache.store,
        rows: { description: table.description, read },
        keys: ['product:1', 'product:2'],
        windowMs: 1_000,
        concurrency: 1,
      });
      await compared;
      await stack().redis.pause(); // the re-check, one window later, meets a Redis that answers nothing
      const report = await verifying.finally(() => stack().redis.resume());

      expect(report.staleWithinWindow).toBe(0);
      expect(report.violations).toEqual([]);
      expect(report.unverified).toEqual([
        expect.objectContaining({
          key: 'product:1',
          look: 'recheck',
          databaseVersion: expect.any(BigInt),
          error: expect.any(String),
        }),
      ]);
      expect(report.unverified[0]!.error).toMatch(/redis/i);
      expect(report).toMatchObject({ comparisons: 1, consistent: 1 });
      expect(report.nines.comparisons).toBe(1);

      const printed = (json: boolean) => {
        let text = '';
        const sink = { write: (t: string) => (text += t) };
        printReport(new Output({ stdout: sink, stderr: sink }, new Redactor([]), json), report, {
          namespace: 'recheck',
          source: table.description,
        });
        return text;
      };
      const text = printed(false);
      expect(text).toMatch(/unverified: a look failed\s+1/);
      expect(text).toMatch(/stale, caught up within the window\s+0/);
      expect(text).toMatch(/^product:1\s+unverified\s+recheck\s+/m);
      expect(JSON.parse(printed(true))).toMatchObject({
        staleWithinWindow: 0,
        unverified: [{ key: 'product:1' }],
        nines: { comparisons: 1 },
      });
    },
  );
});
