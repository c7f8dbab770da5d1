import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OrderedCache } from '../../src/cache/ordered-cache.js';
import { ForeignEntryError } from '../../src/errors.js';
import { useStack } from '../support/stack.js';
import { openCache, rawRedis } from './fixture.js';

// Issue 18: get()'s hit path refuses exactly what the compare-write script refuses. A hash that
// is ours in the five fields serving uses but malformed in a bookkeeping field (at, by, ret) is
// still foreign: never served, the loader never called, the key left exactly as it was.
describe('get() never serves an entry malformed only in at, by or ret', () => {
  const stack = useStack();
  let cache: OrderedCache<{ price: number }>;
  let redis: Redis;

  beforeAll(async () => {
    cache = await openCache(stack());
    redis = await rawRedis(stack());
  });
  afterAll(async () => {
    redis?.disconnect();
    await cache?.close();
  });

  const shapes: [string, (rk: string) => Promise<unknown>, RegExp][] = [
    ['at = x', (rk) => redis.hset(rk, 'at', 'x'), /malformed time fields at\/ret/],
    ['no at', (rk) => redis.hdel(rk, 'at'), /malformed time fields at\/ret/],
    ['an at of 16 digits', (rk) => redis.hset(rk, 'at', '1234567890123456'), /malformed time fields at\/ret/],
    ['no by', (rk) => redis.hdel(rk, 'by'), /no writer field by/],
    ['no ret', (rk) => redis.hdel(rk, 'ret'), /malformed time fields at\/ret/],
    ['ret = -1', (rk) => redis.hset(rk, 'ret', '-1'), /malformed time fields at\/ret/],
    ['an empty ret', (rk) => redis.hset(rk, 'ret', ''), /malformed time fields at\/ret/],
  ];

  it.each(shapes)('%s', async (what, corrupt, detail) => {
    const key = `foreign-${what}`;
    const rk = cache.store.redisKeyOf(key);
    expect((await cache.set(key, { price: 1 }, 5n)).status).toBe('written');
    await redis.persist(rk); // foreign data often has no TTL; it must keep none
    await corrupt(rk);
    const before = await redis.hgetall(rk);
    let loads = 0;
    const loader = async () => {
      loads += 1;
      return { value: { price: 2 }, timestamp: 9n };
    };
    const err = await cache.get(key, loader).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ForeignEntryError);
    expect((err as ForeignEntryError).code).toBe('E_FOREIGN_ENTRY');
    expect((err as ForeignEntryError).redisKey).toBe(rk);
    expect((err as Error).message).toMatch(detail);
    expect(loads).toBe(0);
    await expect(cache.peek(key)).rejects.toThrow(detail);
    expect(await redis.hgetall(rk)).toEqual(before);
    expect(await redis.pttl(rk)).toBe(-1);
  });

  it('an intact entry is still served without loading', async () => {
    expect((await cache.set('intact', { price: 3 }, 5n)).status).toBe('written');
    const loader = () => Promise.reject(new Error('a hit must not load'));
    expect(await cache.get('intact', loader)).toEqual({ price: 3 });
  });
});
