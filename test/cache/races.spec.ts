import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { OrderedCache } from '../../src/cache/ordered-cache.js';
import { ensureVersionColumn } from '../../src/postgres/index.js';
import type { StartedStack } from '../../src/testing/index.js';
import { startTestStack } from '../support/stack.js';
import { deferred, openCache } from './fixture.js';
import { WorkerProcess } from './worker-process.js';

// The races docs/design.md is about, forced deterministically against real ZooKeeper, Redis and
// PostgreSQL, with real worker processes where a process boundary matters.
describe('races', () => {
  let stack: StartedStack;
  let pool: pg.Pool;
  let cache: OrderedCache<string>;
  const workers: WorkerProcess[] = [];

  beforeAll(async () => {
    stack = await startTestStack();
    pool = new pg.Pool({ connectionString: stack.postgres.url, max: 8 });
    await pool.query('CREATE TABLE products (id int PRIMARY KEY, price text NOT NULL)');
    await pool.query('CREATE TABLE load_counter (id int PRIMARY KEY, n int NOT NULL)');
    await ensureVersionColumn(pool, { table: 'products' });
    cache = await openCache<string>(stack, { namespace: 'races' });
  });
  afterEach(async () => {
    await Promise.all(workers.splice(0).map((w) => w.stop()));
  });
  afterAll(async () => {
    await cache?.close();
    await pool?.end();
    await stack?.stop();
  });

  async function resetRow(id: number, price: string): Promise<bigint> {
    await pool.query('INSERT INTO load_counter VALUES (1, 0) ON CONFLICT (id) DO UPDATE SET n = 0');
    const { rows } = await pool.query<{ v: string }>(
      'INSERT INTO products (id, price) VALUES ($1, $2) ON CONFLICT (id) DO UPDATE SET price = $2 RETURNING cache_version::text AS v',
      [id, price],
    );
    return BigInt(rows[0]!.v);
  }

  async function updatePrice(id: number, price: string): Promise<bigint> {
    const { rows } = await pool.query<{ v: string }>(
      'UPDATE products SET price = $2 WHERE id = $1 RETURNING cache_version::text AS v',
      [id, price],
    );
    return BigInt(rows[0]!.v);
  }

  const loadRow = async (id: number) => {
    const { rows } = await pool.query<{ price: string; v: string }>(
      'SELECT price, cache_version::text AS v FROM products WHERE id = $1',
      [id],
    );
    return rows[0] && { value: rows[0].price, timestamp: BigInt(rows[0].v) };
  };

  async function loadsSoFar(): Promise<number> {
    return (await pool.query<{ n: number }>('SELECT n FROM load_counter WHERE id = 1')).rows[0]!.n;
  }

  it('stale set: a slow reader of the old row cannot overwrite a newer invalidation (cache ends equal to the database)', async () => {
    const key = 'product:1';
    await resetRow(1, '$100');
    const readOld = deferred();
    const writerDone = deferred();
    // The reader loads $100, then holds it until the writer has committed $50 and invalidated.
    const reader = cache.get(key, async () => {
      const row = await loadRow(1);
      readOld.resolve();
      await writerDone.promise;
      return row;
    });
    await readOld.promise;
    const committed = await updatePrice(1, '$50');
    // A writer in another process whose lock belief was wrong (paused, expired): it writes the
    // tombstone straight through the compare script while the reader still holds the lock.
    const other = await openCache<string>(stack, { namespace: 'races' });
    try {
      expect(await other.store.invalidate(key, committed)).toEqual({ status: 'written', current: committed });
    } finally {
      await other.close();
    }
    writerDone.resolve();
    await reader;
    const stored = await cache.inspect(key);
    expect(stored.entry).toMatchObject({ kind: 'tombstone', timestamp: committed });
    expect(await cache.get(key, () => loadRow(1))).toBe('$50');
  });

  it('stale set through the lock: the writer queues behind the reader and its tombstone lands last', async () => {
    const key = 'product:2';
    await resetRow(2, '$100');
    const readOld = deferred();
    const writerCommitted = deferred();
    const reader = cache.get(key, async () => {
      const row = await loadRow(2);
      readOld.resolve();
      await writerCommitted.promise;
      return row;
    });
    await readOld.promise;
    const committed = await updatePrice(2, '$50');
    const other = await openCache<string>(stack, { namespace: 'races' });
    try {
      const invalidation = other.invalidate(key, committed);
      writerCommitted.resolve();
      expect(await invalidation).toEqual({ status: 'written', current: committed });
    } finally {
      await other.close();
    }
    expect(await reader).toBe('$100'); // what the database said when the read began
    expect(await cache.get(key, () => loadRow(2))).toBe('$50');
  });

  it('stampede: 500 concurrent get() over 4 worker processes run the loader exactly once', async () => {
    const key = 'product:3';
    await resetRow(3, '$30');
    const config = {
      zookeeper: stack.zookeeper.connectString,
      redis: stack.redis.url,
      postgres: stack.postgres.url,
      namespace: 'races',
    };
    workers.push(...(await Promise.all(Array.from({ length: 4 }, () => WorkerProcess.start(config)))));
    const results = await Promise.all(
      workers.map((w) => w.call('stampede', { key, rowId: 3, concurrency: 125, loaderDelayMs: 200 })),
    );
    expect(await loadsSoFar()).toBe(1);
    for (const result of results) expect(result.values).toEqual(['$30']);
    const znodes = results.reduce((sum, r) => sum + Number(r.acquisitions), 0);
    console.log(`stampede: 500 get() over 4 processes → 1 load, ${znodes} lock znodes (one per process at most)`);
    expect(znodes).toBeLessThanOrEqual(4);
  });

  it('paused holder: a holder paused past its session timeout cannot put its older value back', async () => {
    const key = 'product:4';
    const old = await resetRow(4, '$100');
    const config = {
      zookeeper: stack.zookeeper.connectString,
      redis: stack.redis.url,
      postgres: stack.postgres.url,
      namespace: 'races',
      sessionTimeoutMs: 2_000,
    };
    const holder = await WorkerProcess.start(config);
    workers.push(holder);
    const holding = holder.call('load-and-hold', { key, rowId: 4, tag: 'h' }, 60_000);
    const loaded = await holder.nextEvent((m) => m.event === 'loaded');
    expect(loaded.data).toEqual({ value: '$100', timestamp: old.toString() });
    process.kill(holder.pid, 'SIGSTOP');
    // ZooKeeper expires the silent session and deletes its lock node; a writer then gets the lock.
    const committed = await updatePrice(4, '$50');
    expect(await cache.set(key, '$50', committed, {})).toEqual({ status: 'written', current: committed });
    process.kill(holder.pid, 'SIGCONT');
    await holder.call('release', { tag: 'h' });
    await holding;
    const stale = await holder.nextEvent((m) => m.event === 'stale' || m.event === 'written');
    expect(stale).toMatchObject({ event: 'stale', data: { attempted: old.toString(), current: committed.toString() } });
    expect(await cache.peek(key)).toMatchObject({ kind: 'value', value: '$50', timestamp: committed });
  });
});
