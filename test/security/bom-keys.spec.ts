import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OrderedCache } from '../../src/cache/ordered-cache.js';
import { decodeKeyFromZnodeName, encodeKeyAsZnodeName } from '../../src/core/key.js';
import { entryRedisKey, keyFromEntryRedisKey } from '../../src/redis/index.js';
import type { StartedStack } from '../../src/testing/index.js';
import { startTestStack } from '../support/stack.js';

// Issue 18, item 7: TextDecoder strips a leading U+FEFF by default, so "\uFEFFabc" came back as "abc".
const BOM_KEYS = ['\uFEFFabc', '\uFEFF', '\uFEFF\uFEFFx', 'a\uFEFF'];

describe('keys starting with U+FEFF round-trip', () => {
  it('through the znode name and the Redis key encodings', () => {
    for (const key of BOM_KEYS) {
      expect(decodeKeyFromZnodeName(encodeKeyAsZnodeName(key))).toBe(key);
      expect(keyFromEntryRedisKey('ns', Buffer.from(entryRedisKey('ns', key), 'utf8'))).toBe(key);
    }
  });

  describe('against real servers', () => {
    let stack: StartedStack;
    let cache: OrderedCache;

    beforeAll(async () => {
      stack = await startTestStack();
      cache = await OrderedCache.connect({
        zookeeper: { connectString: stack.zookeeper.connectString, sessionTimeoutMs: 4_000 },
        redis: stack.redis.url,
        namespace: 'bom',
      });
    });
    afterAll(async () => {
      await cache?.close();
      await stack?.stop();
    });

    it('scan yields them exactly, peek reads them, locks.list() shows them while held', async () => {
      for (const [i, key] of BOM_KEYS.entries()) expect((await cache.set(key, i, 1n)).status).toBe('written');
      const scanned: string[] = [];
      for await (const key of cache.store.scan()) scanned.push(key);
      expect(scanned.sort()).toEqual([...BOM_KEYS].sort());
      for (const [i, key] of BOM_KEYS.entries()) expect(await cache.peek(key)).toMatchObject({ value: i });
      await cache.withLock('\uFEFFabc', async () => {
        const listed = (await cache.locks.list()).map((l) => l.key);
        expect(listed).toContain('\uFEFFabc');
        expect(listed).not.toContain('abc');
      });
    });
  });
});
