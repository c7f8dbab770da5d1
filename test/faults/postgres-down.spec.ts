import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OrderedCache } from '../../src/cache/ordered-cache.js';
import { ZkocError } from '../../src/errors.js';
import { loadVersioned } from '../../src/postgres/index.js';
import type { StartedStack } from '../../src/testing/index.js';
import { needs, startTestStack } from '../support/stack.js';
import { createProducts, keyOf, openPool, productLoader } from './workload.js';

const faults = needs('faults', 'stops PostgreSQL');

describe('PostgreSQL stopped during loads', faults, () => {
  let stack: StartedStack;
  let pool: pg.Pool;
  let keys: string[];
  const caches: OrderedCache<number>[] = [];

  beforeAll(async () => {
    stack = await startTestStack({ zookeeper: { fsync: false } });
    pool = openPool(stack.postgres.url, 8);
    keys = await createProducts(pool, 6);
    for (let i = 0; i < 3; i += 1) {
      caches.push(
        await OrderedCache.connect<number>({
          zookeeper: { connectString: stack.zookeeper.connectString, sessionTimeoutMs: 4_000 },
          redis: stack.redis.url,
          namespace: 'pg-down',
        }),
      );
    }
  });
  afterAll(async () => {
    await Promise.allSettled(caches.map((c) => c.close()));
    await pool?.end();
    await stack?.stop();
  });

  /** Every cache sees no lock holder and no waiter on any key, and Redis holds nothing for any key. */
  async function expectNothingHeldOrWritten(): Promise<void> {
    for (const cache of caches) {
      for (const state of await cache.locks.list())
        expect({ key: state.key, holder: state.holder, waiters: state.waiters }).toEqual({
          key: state.key,
          holder: undefined,
          waiters: [],
        });
    }
    for (const key of keys) {
      const inspection = await caches[0]!.inspect(key);
      expect(inspection.entry).toBeUndefined();
      expect(inspection.lock.holder).toBeUndefined();
    }
  }

  it('fails each in-flight loader with the driver error, releases the locks, writes nothing, and works after a restart', async () => {
    // Slow loads (pg_sleep inside the statement) on every key, spread over three caches (sessions).
    const loaderErrors = new Map<string, unknown>();
    const slowLoader = (key: string) => async () => {
      try {
        return await loadVersioned<number>(
          pool,
          'SELECT p.id, p.price, p.cache_version FROM products p, pg_sleep(30) WHERE p.id = $1',
          [Number(key.split(':')[1])],
          { valueColumn: 'price' },
        );
      } catch (error) {
        loaderErrors.set(key, error);
        throw error;
      }
    };
    const gets = keys.map((key, i) =>
      caches[i % caches.length]!.get(key, slowLoader(key)).then(
        () => 'resolved',
        (error: unknown) => error,
      ),
    );

    // Wait (bounded) until all six statements are running on the server, then stop it.
    const probe = new pg.Client({ connectionString: stack.postgres.url });
    await probe.connect();
    try {
      const deadline = Date.now() + 10_000;
      let running = 0;
      while (Date.now() < deadline && running < keys.length) {
        running = (
          await probe.query<{ n: number }>(
            "SELECT count(*)::int AS n FROM pg_stat_activity WHERE query LIKE '%pg_sleep(30)%' AND pid <> pg_backend_pid()",
          )
        ).rows[0]!.n;
      }
      expect(running).toBe(keys.length);
      // Each load runs under its key's lock: six holders, one per key.
      const held = (await caches[0]!.locks.list()).filter((state) => state.holder !== undefined);
      expect(held.map((state) => state.key).sort()).toEqual([...keys].sort());
    } finally {
      await probe.end();
    }
    await stack.postgres.stop();

    const outcomes = await Promise.all(gets);
    for (const [i, key] of keys.entries()) {
      // The caller gets exactly the error the pg driver raised in the loader, not a wrapper.
      expect(outcomes[i]).toBe(loaderErrors.get(key));
      expect(outcomes[i]).toBeInstanceOf(Error);
      expect(outcomes[i]).not.toBeInstanceOf(ZkocError);
      expect((outcomes[i] as Error).message).toMatch(
        /terminating connection due to administrator command|Connection terminated/,
      );
    }
    await expectNothingHeldOrWritten();

    // While it is down, a load fails at once with the driver's connection error, again leaving nothing.
    const whileDown = await caches[0]!.get(keys[0]!, productLoader(pool, keys[0]!)).catch((error: unknown) => error);
    expect(whileDown).not.toBeInstanceOf(ZkocError);
    expect((whileDown as { code?: string }).code).toBe('ECONNREFUSED');
    await expectNothingHeldOrWritten();

    await stack.postgres.start();
    const { rows } = await pool.query<{ id: number; price: number; v: string }>(
      'SELECT id, price, cache_version::text AS v FROM products ORDER BY id',
    );
    for (const row of rows) {
      const key = keyOf(row.id);
      expect(await caches[row.id % caches.length]!.get(key, productLoader(pool, key))).toBe(row.price);
      expect((await caches[0]!.peek(key))?.timestamp).toBe(BigInt(row.v));
    }
  });
});
