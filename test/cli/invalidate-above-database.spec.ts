import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OrderedCache } from '../../src/index.js';
import { ensureVersionColumn, loadVersioned } from '../../src/postgres/index.js';
import type { StartedStack } from '../../src/testing/index.js';
import { startTestStack } from '../support/stack.js';
import { runZkoc } from './run-zkoc.js';

const NAMESPACE = 'cli-invalidate-db';

// `zkoc invalidate --ts T` with T above anything the database holds turns caching off for the key:
// every fill is refused by the tombstone. zkoc refuses it when it can see the database, warns when
// it cannot, and the library reports each refused fill.
describe('invalidate with a timestamp above the database version', () => {
  let stack: StartedStack;
  let pool: pg.Pool;
  let cache: OrderedCache;
  let connection: string[];
  let version: bigint;

  beforeAll(async () => {
    stack = await startTestStack();
    pool = new pg.Pool({ connectionString: stack.postgres.url });
    await pool.query('CREATE TABLE products (id int PRIMARY KEY, price numeric)');
    await ensureVersionColumn(pool, { table: 'products' });
    const { rows } = await pool.query<{ v: string }>(
      'INSERT INTO products VALUES (1, 100) RETURNING cache_version::text AS v',
    );
    version = BigInt(rows[0]!.v);
    cache = await OrderedCache.connect({
      zookeeper: { connectString: stack.zookeeper.connectString },
      redis: stack.redis.url,
      namespace: NAMESPACE,
    });
    connection = ['--zk', stack.zookeeper.connectString, '--redis', stack.redis.url, '-n', NAMESPACE];
  });
  afterAll(async () => {
    await cache?.close();
    await pool?.end();
    await stack?.stop();
  });

  const load = () => loadVersioned(pool, 'SELECT id, price, cache_version FROM products WHERE id = $1', [1]);

  it('with --database-url, a --ts above every issued version is refused (exit 2) and nothing is written', async () => {
    const above = (version + 1000n).toString();
    const run = await runZkoc([
      'invalidate',
      'product:1',
      '--ts',
      above,
      ...connection,
      '--database-url',
      stack.postgres.url,
    ]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(`--ts ${above} is above every version the database has issued (highest: ${version})`);
    expect(run.stderr).toContain('pass --force');
    expect(await cache.inspect('product:1')).toMatchObject({ entry: undefined });
  });

  it('with --database-url, a --ts the database has issued is written without a warning', async () => {
    const run = await runZkoc([
      'invalidate',
      'product:2',
      '--ts',
      version.toString(),
      ...connection,
      '--database-url',
      stack.postgres.url,
    ]);
    expect({ code: run.code, stderr: run.stderr }).toEqual({ code: 0, stderr: '' });
    expect(run.stdout).toBe(`written: tombstone for "product:2" at timestamp ${version}\n`);
  });

  it('--force writes it anyway, with a warning; each refused fill then emits fill-refused', async () => {
    const above = version + 1000n;
    const run = await runZkoc([
      'invalidate',
      'product:1',
      '--ts',
      above.toString(),
      '--force',
      ...connection,
      '--database-url',
      stack.postgres.url,
    ]);
    expect(run.code).toBe(0);
    expect(run.stderr).toMatch(
      /^warning: every fill of "product:1" older than \d+ is refused until this tombstone expires/,
    );

    const refused: unknown[] = [];
    cache.events.on('fill-refused', (event) => refused.push(event));
    expect(await cache.get('product:1', load)).toMatchObject({ price: '100' });
    expect(await cache.get('product:1', load)).toMatchObject({ price: '100' });
    expect(refused).toEqual([
      { key: 'product:1', loaded: version, stored: above },
      { key: 'product:1', loaded: version, stored: above },
    ]);
  });

  it('without --database-url, zkoc writes the tombstone and warns that it cannot check', async () => {
    const run = await runZkoc(['invalidate', 'product:3', '--ts', '5', ...connection]);
    expect(run.code).toBe(0);
    expect(run.stderr).toContain('(pass --database-url to check --ts against the database)');
  });
});
