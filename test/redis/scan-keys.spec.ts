import { describe, expect, it } from 'vitest';
import { entryRedisKey, keyFromEntryRedisKey } from '../../src/redis/index.js';
import { useRedisFixture } from './redis-fixture.js';

const ODD_KEYS = ['a/b', 'a*', 'a?x', 'a[1]', 'a\\b', '../etc', 'with space', 'Zürich ☃', '🚀', 'b:{tag}'];

describe('scan lists the namespace entries with their original keys', () => {
  const fx = useRedisFixture();

  it('maps keys to Redis keys and back, rejecting other namespaces and non-UTF-8 bytes', () => {
    for (const key of ODD_KEYS) {
      const rk = entryRedisKey('ns', key);
      expect(rk).toBe(`zkoc:ns:e:${key}`);
      expect(keyFromEntryRedisKey('ns', rk)).toBe(key);
      expect(keyFromEntryRedisKey('ns', Buffer.from(rk))).toBe(key);
      expect(keyFromEntryRedisKey('other', rk)).toBeUndefined();
    }
    expect(keyFromEntryRedisKey('ns', Buffer.concat([Buffer.from('zkoc:ns:e:'), Buffer.from([0xff])]))).toBeUndefined();
    expect(keyFromEntryRedisKey('ns', 'zkoc:ns:e:')).toBeUndefined();
  });

  it('iterates every entry over several SCAN batches, filters by an escaped prefix, skips the rest', async () => {
    const store = fx.store<number>({ namespace: 'scan' });
    const bulk = Array.from({ length: 1200 }, (_, i) => `bulk-${i}`);
    for (const key of [...ODD_KEYS, ...bulk]) await store.write(key, 1, 1);
    await store.invalidate('tombstoned', 1);
    await fx.store({ namespace: 'scan-other' }).write('a/b', 1, 1);
    await fx.redis.set('zkoc:scan:x', 'not an entry key');

    const all: string[] = [];
    for await (const key of store.scan()) all.push(key);
    expect(new Set(all)).toEqual(new Set([...ODD_KEYS, ...bulk, 'tombstoned']));

    const withA: string[] = [];
    for await (const key of store.scan('a')) withA.push(key);
    expect(new Set(withA)).toEqual(new Set(['a/b', 'a*', 'a?x', 'a[1]', 'a\\b']));

    // Glob characters in the prefix are literal.
    for (const [prefix, expected] of [
      ['a*', ['a*']],
      ['a?', ['a?x']],
      ['a[', ['a[1]']],
      ['a\\', ['a\\b']],
    ] as const) {
      const found: string[] = [];
      for await (const key of store.scan(prefix)) found.push(key);
      expect(found).toEqual(expected);
    }
  });
});
