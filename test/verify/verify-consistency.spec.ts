import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OrderedCache } from '../../src/cache/ordered-cache.js';
import { ensureVersionColumn, loadVersioned } from '../../src/postgres/index.js';
import { rowVersionFromQuery, rowVersionFromTable, verifyConsistency } from '../../src/verify/index.js';
import { runZkoc } from '../cli/run-zkoc.js';
import { useStack } from '../support/stack.js';

// `zkoc verify` and verifyConsistency against real Redis and PostgreSQL: each way the cache can be
// wrong is produced on purpose, and each must be found; the right entries must not be reported.
const NAMESPACE = 'verify';
const ROWS = 20;

describe('verifyConsistency', () => {
  const stack = useStack();
  let pool: pg.Pool;
  let cache: OrderedCache;
  const key = (id: number) => `product:${id}`;
  const versionOf = async (id: number) =>
    BigInt((await pool.query('SELECT cache_version::text AS v FROM products WHERE id = $1', [id])).rows[0].v);
  const load = (id: number) => () =>
    loadVersioned(pool, 'SELECT id, price, cache_version FROM products WHERE id = $1', [id]);

  /** Verifies one key with a 1.5 s window; `compared` resolves after its first look at the database. */
  const verifyOneKeyWithPause = async (k: string) => {
    const rows = await rowVersionFromTable(pool, 'products=product:{id}');
    let seenStale!: () => void;
    const compared = new Promise<void>((resolve) => (seenStale = resolve));
    const verifying = verifyConsistency({
      cache: cache.store,
      rows: { description: rows.description, read: (key) => rows.read(key).finally(() => seenStale()) },
      keys: [k],
      windowMs: 1_500,
    });
    return { compared, verifying };
  };

  beforeAll(async () => {
    pool = new pg.Pool({ connectionString: stack().postgres.url });
    await pool.query('CREATE TABLE products (id int PRIMARY KEY, price int NOT NULL)');
    await ensureVersionColumn(pool, { table: 'products' });
    await pool.query(`INSERT INTO products SELECT i, 100 FROM generate_series(1, ${ROWS}) AS i`);
    cache = await OrderedCache.connect({
      zookeeper: { connectString: stack().zookeeper.connectString },
      redis: stack().redis.url,
      namespace: NAMESPACE,
    });
    for (let id = 1; id <= ROWS; id++) await cache.get(key(id), load(id));
    // Wrong on purpose: a bypass UPDATE (1) and DELETE (4) leave old values; 2 is ahead of the row.
    await pool.query('UPDATE products SET price = 50 WHERE id = 1');
    await cache.set(key(2), { id: 2, price: 1 }, (await versionOf(2)) + 1000n);
    await pool.query('DELETE FROM products WHERE id = 4');
    // Right: a tombstone at the committed version of an UPDATE (3).
    await pool.query('UPDATE products SET price = 70 WHERE id = 3');
    await cache.invalidate(key(3), await versionOf(3));
  });

  afterAll(async () => {
    await cache?.close();
    await pool?.end();
  });

  it('reports stale-beyond-window and ahead keys, and counts the rest consistent', async () => {
    const keys = Array.from({ length: ROWS }, (_, i) => key(i + 1));
    const report = await verifyConsistency({
      cache: cache.store,
      rows: await rowVersionFromTable(pool, 'products=product:{id}'),
      keys: [...keys, 'other:1'],
      windowMs: 300,
    });
    const found = Object.fromEntries(report.violations.map((v) => [v.key, v]));
    expect(Object.keys(found).sort()).toEqual([key(1), key(2), key(4)]);
    expect(found[key(1)]).toMatchObject({ kind: 'stale', databaseVersion: await versionOf(1) });
    expect(found[key(1)]!.ageMs).toBeGreaterThanOrEqual(300);
    expect(found[key(2)]).toMatchObject({ kind: 'ahead' });
    expect(found[key(4)]).toMatchObject({ kind: 'stale', databaseVersion: undefined });
    expect(report).toMatchObject({ comparisons: ROWS, consistent: ROWS - 3, unmatched: 1, staleWithinWindow: 0 });
    expect(report.nines.lowerBound).toBe(false);
  });

  it('a table mapping compares in batches, one SELECT per batch, and finds what the per-key path finds', async () => {
    const keys = [...Array.from({ length: ROWS }, (_, i) => key(i + 1)), 'other:1', key(ROWS + 1)];
    let selects = 0;
    const counted = {
      query: (...args: unknown[]) => {
        selects++;
        return (pool.query as (...a: unknown[]) => unknown)(...args);
      },
    };
    const rows = await rowVersionFromTable(counted as unknown as pg.Pool, 'products=product:{id}');
    selects = 0; // the key column's type was read from the catalog once
    const batched = await verifyConsistency({
      cache: cache.store,
      rows,
      keys,
      windowMs: 300,
      batchSize: 8,
    });
    // 22 keys in batches of 8: one SELECT each, none per key; and one re-check of deleted row 4's
    // current version (a value cached over a deleted row may be the row inserted again)
    expect(selects).toBe(4);
    const perKey = await verifyConsistency({
      cache: cache.store,
      rows: rowVersionFromQuery(pool, {
        query: 'SELECT cache_version FROM products WHERE id = $1',
        key: 'product:{id}',
      }),
      keys,
      windowMs: 300,
    });
    const shape = (r: typeof batched) => ({
      ...r,
      violations: r.violations.map(({ ageMs: _, ...v }) => v).sort((a, b) => a.key.localeCompare(b.key)),
    });
    expect(shape(batched)).toEqual(shape(perKey));
    expect(batched.violations.map((v) => v.key).sort()).toEqual([key(1), key(2), key(4)]);
    expect(batched).toMatchObject({ comparisons: ROWS, consistent: ROWS - 3, unmatched: 1, absent: 1 });
  });

  it('a stale key that catches up within the window is not a violation', async () => {
    await pool.query('UPDATE products SET price = 60 WHERE id = 5');
    const { compared, verifying } = await verifyOneKeyWithPause(key(5));
    await compared; // the first look saw the old value: now the change arrives
    await cache.invalidate(key(5), await versionOf(5));
    const report = await verifying;
    expect(report).toMatchObject({ comparisons: 1, staleWithinWindow: 1, consistent: 0 });
    expect(report.violations).toEqual([]);
  });

  it('a row deleted at the first look and inserted again within the window is not a violation', async () => {
    await pool.query('DELETE FROM products WHERE id = 6'); // the cache still serves the old row
    const { compared, verifying } = await verifyOneKeyWithPause(key(6));
    await compared; // first look: a value over no row; now the row comes back and is cached
    await pool.query('INSERT INTO products (id, price) VALUES (6, 30)');
    await cache.invalidate(key(6), await versionOf(6));
    await pool.query('UPDATE products SET price = 31 WHERE id = 6');
    expect(await cache.get(key(6), load(6))).toMatchObject({ price: 31 });
    const report = await verifying;
    expect(report.violations).toEqual([]);
    expect(report).toMatchObject({ comparisons: 1, staleWithinWindow: 1 });
  });

  it('zkoc verify prints the figure and every violation, and exits 1', async () => {
    const run = await runZkoc([
      'verify',
      '--redis',
      stack().redis.url,
      '--database-url',
      stack().postgres.url,
      '-n',
      NAMESPACE,
      '--table',
      'products=product:{id}',
      '--all',
      '--window',
      '200ms',
    ]);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/violations\s+3/);
    expect(run.stdout).toMatch(/^product:1\s+stale\s+value at \d+\s+\d+/m);
    expect(run.stdout).toMatch(/^product:2\s+ahead\s/m);
    expect(run.stdout).toMatch(/^product:4\s+stale\s+value at \d+\s+no row/m);
    expect(run.stdout).toMatch(/consistency within 200ms: [\d.]+ nines \(3 violations in \d+ comparisons\)/);

    const json = await runZkoc([
      'verify',
      '--json',
      '--redis',
      stack().redis.url,
      '--database-url',
      stack().postgres.url,
      '-n',
      NAMESPACE,
      '--query',
      'SELECT cache_version FROM products WHERE id = $1',
      '--key',
      'product:{id}',
      '--all',
      '--window',
      '200ms',
    ]);
    expect(json.code).toBe(1);
    const doc = JSON.parse(json.stdout);
    expect(doc.violations.map((v: { key: string }) => v.key).sort()).toEqual([key(1), key(2), key(4)]);
  });

  it('zkoc verify exits 0 on a namespace with nothing wrong, and 2 without a mapping', async () => {
    const clean = await runZkoc([
      'verify',
      '--redis',
      stack().redis.url,
      '--database-url',
      stack().postgres.url,
      '-n',
      'verify-empty',
      '--table',
      'products=product:{id}',
    ]);
    expect(clean.code).toBe(0);
    expect(clean.stdout).toMatch(/violations\s+0/);
    const usage = await runZkoc(['verify', '--redis', stack().redis.url, '--database-url', stack().postgres.url]);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toMatch(/--table/);
  });
});
