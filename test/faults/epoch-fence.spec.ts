import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CacheEvents } from '../../src/cache/events.js';
import type { OrderedCache } from '../../src/cache/ordered-cache.js';
import { updateAndCache, updateVersioned } from '../../src/postgres/index.js';
import { pollUntil } from '../../src/testing/polling.js';
import { deferred, openCache, rawRedis } from '../cache/fixture.js';
import { needs, useStack } from '../support/stack.js';
import { createProducts, openPool, productLoader } from './workload.js';

const UPDATE = 'UPDATE products SET price = $2 WHERE id = $1 RETURNING id, price, cache_version';

describe('the epoch fence survives a Redis that restarts empty', needs('faults', 'SIGKILLs and restarts Redis'), () => {
  // The local stack's Redis runs without persistence (no RDB, no AOF): a SIGKILL loses everything.
  const stack = useStack();
  let pool: pg.Pool;

  beforeAll(async () => {
    pool = openPool(stack().postgres.url, 4);
    await createProducts(pool, 4);
  });
  afterAll(async () => {
    await pool?.end();
  });

  // SIGKILL, then start on the same port; waits until `cache` answers again (its client reconnects).
  async function killAndRestartRedis(cache: OrderedCache<number>): Promise<void> {
    const port = stack().redis.port;
    await stack().redis.kill();
    await stack().redis.start();
    expect(stack().redis.port).toBe(port);
    const answers = async () => (await cache.peek('probe')) === undefined;
    const back = await pollUntil(answers, { deadline: Date.now() + 10_000 });
    expect(back).toEqual({ ok: true });
  }

  it('a fill whose load began before the restart is refused (stale, epoch); a load after it fills', async () => {
    await using cache = await openCache<number>(stack());
    const stale: CacheEvents['stale'][] = [];
    cache.events.on('stale', (e) => stale.push(e));
    const key = 'product:1';
    const read = deferred();
    const resume = deferred();
    const load = productLoader(pool, key);
    // The slow loader reads the row (version v1), then waits while the world moves on.
    const slow = cache.getEntry(key, async () => {
      const row = await load();
      read.resolve();
      await resume.promise;
      return row;
    });
    await read.promise;
    // A newer version is committed and cached in the old Redis, which then dies with it. (The loader
    // holds the key's lock: the newer write goes straight to the store, as one whose lock was granted
    // after the loader's session expired would.)
    const updated = await updateVersioned<number>(pool, UPDATE, [1, 200], { valueColumn: 'price' });
    expect(updated).toBeDefined();
    expect(await cache.store.write(key, 200, updated!.timestamp)).toEqual({
      status: 'written',
      current: updated!.timestamp,
    });
    await killAndRestartRedis(cache);
    const redis = await rawRedis(stack());
    try {
      expect(await redis.dbsize()).toBe(0);
      resume.resolve();
      // The caller still gets the row it loaded, but nothing was cached: the key stays empty.
      const result = await slow;
      expect(result).toMatchObject({ value: 100, source: 'loader' });
      expect(stale).toEqual([
        { key, attempted: result.timestamp, current: undefined, source: 'load', reason: 'epoch' },
      ]);
      expect(await redis.exists(cache.store.redisKeyOf(key))).toBe(0);
      expect(await cache.peek(key)).toBeUndefined();

      // A load that begins after the restart fills normally, with the database's newest version.
      expect(await cache.getEntry(key, productLoader(pool, key))).toMatchObject({ value: 200, source: 'loader' });
      expect(await cache.getEntry(key, productLoader(pool, key))).toMatchObject({ value: 200, source: 'cache' });
      expect(stale).toHaveLength(1);
    } finally {
      redis.disconnect();
    }
  });

  it('set() with an epoch taken before the restart is refused; a fresh epoch writes; no epoch is unfenced', async () => {
    await using cache = await openCache<number>(stack());
    const key = 'product:2';
    const before = await cache.epoch(key);
    const [row] = (await pool.query('SELECT price, cache_version FROM products WHERE id = 2')).rows;
    const version = BigInt(row.cache_version);
    await killAndRestartRedis(cache);

    expect(await cache.set(key, row.price, version, { epoch: before })).toEqual({
      status: 'stale',
      current: undefined,
      reason: 'epoch',
    });
    expect(await cache.peek(key)).toBeUndefined();
    const after = await cache.epoch(key);
    expect(after).not.toBe(before);
    expect(await cache.set(key, row.price, version, { epoch: after })).toEqual({ status: 'written', current: version });
    // The old token stays refused after the new epoch exists, reporting what is stored now.
    expect(await cache.set(key, row.price, version + 1n, { epoch: before })).toEqual({
      status: 'stale',
      current: version,
      reason: 'epoch',
    });
    // Tombstones and writes without an epoch are not fenced (docs/design.md "The epoch fence").
    expect(await cache.invalidate(key, version + 2n)).toEqual({ status: 'written', current: version + 2n });
    expect(await cache.set(key, row.price, version + 3n)).toEqual({ status: 'written', current: version + 3n });
  });

  it('updateAndCache takes the epoch before its UPDATE: a restart in between refuses its write', async () => {
    await using cache = await openCache<number>(stack());
    const key = 'product:3';
    let restarted = false;
    // The restart happens after the epoch was read and before the UPDATE returns.
    const writer = {
      epoch: (k: string) => cache.epoch(k),
      set: async (...args: Parameters<typeof cache.set>) => {
        await killAndRestartRedis(cache);
        restarted = true;
        return cache.set(...args);
      },
      invalidate: cache.invalidate.bind(cache),
    };
    const updated = await updateAndCache(writer, pool, key, UPDATE, [3, 300], { valueColumn: 'price' });
    expect(restarted).toBe(true);
    expect(updated?.cache).toEqual({ status: 'stale', current: undefined, reason: 'epoch' });
    expect(await cache.peek(key)).toBeUndefined();
  });
});
