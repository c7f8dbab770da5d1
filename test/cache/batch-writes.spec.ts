import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OrderedCache } from '../../src/cache/ordered-cache.js';
import { InvalidKeyError, InvalidTimestampError, InvalidValueError } from '../../src/errors.js';
import { useStack } from '../support/stack.js';
import { openCache } from './fixture.js';

const stack = useStack();

describe('invalidateMany / setMany', () => {
  let cache: OrderedCache<{ n: number }>;
  let other: OrderedCache<{ n: number }>;
  beforeAll(async () => {
    cache = await openCache(stack());
    other = await openCache(stack(), { namespace: cache.namespace });
  });
  afterAll(async () => {
    await cache?.close();
    await other?.close();
  });

  it('returns per-entry results in order, ordered by version like set/invalidate', async () => {
    await cache.set('b:1', { n: 1 }, 10);
    await cache.set('b:2', { n: 2 }, 30);
    const results = await cache.invalidateMany([
      { key: 'b:1', timestamp: 11 },
      { key: 'b:2', timestamp: 20 },
      { key: 'b:3', timestamp: 5 },
      { key: 'b:1', timestamp: 11 },
    ]);
    expect(results.map((r) => [r.key, r.status, r.timestamp])).toEqual([
      ['b:1', 'written', 11n],
      ['b:2', 'stale', 20n],
      ['b:3', 'written', 5n],
      ['b:1', 'duplicate', 11n],
    ]);
    expect((await cache.store.read('b:1'))?.kind).toBe('tombstone');
    expect((await cache.store.read('b:2'))?.timestamp).toBe(30n);

    const sets = await cache.setMany([
      { key: 'b:1', value: { n: 10 }, timestamp: 12 },
      { key: 'b:2', value: { n: 20 }, timestamp: 29 },
    ]);
    expect(sets.map((r) => r.status)).toEqual(['written', 'stale']);
    expect(await cache.peek('b:1')).toMatchObject({ kind: 'value', value: { n: 10 }, timestamp: 12n });
  });

  it('does not wait for one contended key before writing the others', async () => {
    const held = await other.locks.acquire('c:held');
    try {
      const batch = cache.invalidateMany(
        [{ key: 'c:held', timestamp: 7 }, ...Array.from({ length: 50 }, (_, i) => ({ key: `c:${i}`, timestamp: 7 }))],
        { timeoutMs: 20_000 },
      );
      // Sequential writes would block every key behind the held one.
      await expect.poll(async () => (await cache.store.read('c:49'))?.kind, { timeout: 10_000 }).toBe('tombstone');
      expect(await cache.store.read('c:held')).toBeUndefined();
      await held.release();
      const results = await batch;
      expect(results.every((r) => r.status === 'written')).toBe(true);
    } finally {
      await held.release();
    }
  });

  it('reports a lock timeout as a failed entry and writes the rest', async () => {
    const held = await other.locks.acquire('d:held');
    try {
      const results = await cache.invalidateMany(
        [
          { key: 'd:held', timestamp: 3 },
          { key: 'd:free', timestamp: 3 },
        ],
        { timeoutMs: 300 },
      );
      expect(results[0]).toMatchObject({ key: 'd:held', status: 'failed' });
      expect((results[0] as { error: Error }).error.name).toBe('LockTimeoutError');
      expect(results[1]).toMatchObject({ key: 'd:free', status: 'written' });
      expect(await cache.store.read('d:held')).toBeUndefined();
    } finally {
      await held.release();
    }
  });

  it('rejects bad input before locking or writing anything', async () => {
    const valid = { key: 'e:ok', timestamp: 1 };
    await expect(cache.invalidateMany([valid, { key: '', timestamp: 1 }])).rejects.toThrow(InvalidKeyError);
    await expect(cache.invalidateMany([valid, { key: 'e:x', timestamp: -1 }])).rejects.toThrow(
      /entries\[1\]\.timestamp/,
    );
    await expect(cache.invalidateMany([valid, { key: 'e:x', timestamp: 1.5 }])).rejects.toThrow(InvalidTimestampError);
    await expect(
      cache.setMany([
        { ...valid, value: { n: 1 } },
        { key: 'e:y', value: undefined as never, timestamp: 2 },
      ]),
    ).rejects.toThrow(InvalidValueError);
    await expect(cache.invalidateMany('nope' as never)).rejects.toThrow(TypeError);
    expect(await cache.store.read('e:ok')).toBeUndefined();
    expect(await cache.locks.list()).toEqual([]);
  });
});
