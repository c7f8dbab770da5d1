import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OrderedCache } from '../../src/cache/ordered-cache.js';
import { ensureVersionColumn, loadVersioned } from '../../src/postgres/index.js';
import { rowVersionFromQuery, rowVersionFromTable, verifyConsistency } from '../../src/verify/index.js';
import { runZkoc } from '../cli/run-zkoc.js';
import { useStack } from '../support/stack.js';

// verify's per-key and batched statements compare the key column with its own type, so
// PostgreSQL finds rows through the primary key; a key that is not of that type is its own class.
const ROWS = 20_000;

describe('zkoc verify: key columns compared with their own type', () => {
  const stack = useStack();
  let pool: pg.Pool;
  let cache: OrderedCache;

  /** A queryable that records every statement and its parameters, then runs it. */
  const recording = () => {
    const sent: { text: string; values: unknown[] }[] = [];
    const db = {
      query: (text: string, values: unknown[]) => {
        sent.push({ text, values });
        return pool.query(text, values);
      },
    } as unknown as pg.Pool;
    return { db, sent };
  };
  const plan = async (statement: { text: string; values: unknown[] }) =>
    (await pool.query(`EXPLAIN ${statement.text}`, statement.values)).rows.map((r) => r['QUERY PLAN']).join('\n');

  beforeAll(async () => {
    pool = new pg.Pool({ connectionString: stack().postgres.url });
    await pool.query('CREATE TABLE items (id int PRIMARY KEY, qty int NOT NULL)');
    await ensureVersionColumn(pool, { table: 'items' });
    await pool.query(`INSERT INTO items SELECT i, 0 FROM generate_series(1, ${ROWS}) AS i`);
    await pool.query('ANALYZE items');
    cache = await OrderedCache.connect({
      zookeeper: { connectString: stack().zookeeper.connectString },
      redis: stack().redis.url,
      namespace: 'key-types',
    });
    for (const id of [1, 2, 3])
      await cache.get(`item:${id}`, () =>
        loadVersioned(pool, 'SELECT id, qty, cache_version FROM items WHERE id = $1', [id]),
      );
    // Keys of the template's shape that no int row can have: not a number, and out of int's range.
    await cache.set('item:abc', { id: 'abc' }, 1n);
    await cache.set('item:99999999999', { id: 99999999999 }, 1n);
  });

  afterAll(async () => {
    await cache?.close();
    await pool?.end();
  });

  it('the per-key statement finds the row by an Index Scan on the primary key', async () => {
    const { db, sent } = recording();
    const rows = await rowVersionFromTable(db, 'items=item:{id}');
    sent.length = 0;
    expect(await rows.read('item:12345')).toEqual({ version: expect.any(BigInt) });
    expect(sent).toHaveLength(1);
    expect(sent[0]!.text).toContain('"id" = $1::integer');
    const perKey = await plan(sent[0]!);
    expect(perKey).toMatch(/Index Scan using items_pkey on items/);
    expect(perKey).not.toMatch(/Seq Scan/);
    // The comparison as text this replaces: a scan of the whole table for every key.
    expect(await plan({ text: 'SELECT cache_version FROM items WHERE id::text = $1', values: ['12345'] })).toMatch(
      /Seq Scan on items/,
    );
  });

  it('the batched statement joins on the key column with its own type', async () => {
    const { db, sent } = recording();
    const rows = await rowVersionFromTable(db, 'items=item:{id}');
    sent.length = 0;
    const keys = Array.from({ length: 50 }, (_, i) => `item:${1 + i * 397}`);
    const found = await rows.readMany!(keys);
    expect(found.every((r) => r !== undefined && 'version' in r && r.version !== undefined)).toBe(true);
    expect(sent).toHaveLength(1);
    expect(sent[0]!.text).toContain('$1::integer[]');
    expect(await plan(sent[0]!)).toMatch(/Index Scan using items_pkey on items/);
  });

  it('a key that is not of the column type is counted as such, per key and in batches, and the run goes on', async () => {
    const keys = ['item:1', 'item:2', 'item:abc', 'item:3', 'item:99999999999', 'other:1'];
    const table = await rowVersionFromTable(pool, 'items=item:{id}');
    const query = rowVersionFromQuery(pool, {
      query: 'SELECT cache_version FROM items WHERE id = $1',
      key: 'item:{id}',
    });
    for (const rows of [table, { description: table.description, read: table.read }, query]) {
      const report = await verifyConsistency({ cache: cache.store, rows, keys, windowMs: 200 });
      expect(report).toMatchObject({ comparisons: 3, consistent: 3, mistyped: 2, unmatched: 1, violations: [] });
    }
    expect(await table.read('item:abc')).toEqual({
      mistyped: expect.stringMatching(/invalid input syntax for type integer/),
    });
  });

  it('zkoc verify shows the class in text and --json, and exits 0 when nothing else is wrong', async () => {
    const args = ['verify', '--redis', stack().redis.url, '--database-url', stack().postgres.url, '-n', 'key-types'];
    const text = await runZkoc([...args, '--table', 'items=item:{id}', '--all', '--window', '200ms']);
    expect(text.stderr).toBe('');
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/not of the key columns' types \(skipped\)\s+2/);
    expect(text.stdout).toMatch(/consistent\s+3/);
    const json = await runZkoc([...args, '--json', '--table', 'items=item:{id}', '--all', '--window', '200ms']);
    expect(JSON.parse(json.stdout)).toMatchObject({ comparisons: 3, consistent: 3, mistyped: 2 });
    const noColumn = await runZkoc([...args, '--table', 'items=item:{sku}']);
    expect(noColumn.code).toBe(2);
    expect(noColumn.stderr).toMatch(/"items" has no column "sku"/);
  });
});
