import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OrderedCacheOptions } from '../../src/cache/options.js';
import { OrderedCache } from '../../src/cache/ordered-cache.js';
import { InvalidOptionsError } from '../../src/errors.js';
import { useStack } from '../support/stack.js';

// "Bad options are rejected before anything is opened": the servers themselves are asked how many
// clients they have (ZooKeeper's `cons`, Redis' CLIENT LIST) before and after each rejected
// connect, and this process must not be left holding a socket.
describe('OrderedCache.connect with a bad option opens no connection', () => {
  const stack = useStack();
  let observer: Redis;

  beforeAll(async () => {
    observer = new Redis(stack().redis.url, { lazyConnect: true, maxRetriesPerRequest: 1 });
    await observer.connect();
  });
  afterAll(() => observer?.disconnect());

  const options = (override: Record<string, unknown>): OrderedCacheOptions =>
    ({
      zookeeper: { connectString: stack().zookeeper.connectString, sessionTimeoutMs: 4_000 },
      redis: stack().redis.url,
      namespace: 'bad-option',
      ...override,
    }) as OrderedCacheOptions;

  /** Client connections on each server; our own observers (one 4lw socket, one Redis client) are constant. */
  async function clients(): Promise<{ zookeeper: number; redis: number }> {
    const cons = await stack().zookeeper.fourLetterWord('cons', { timeoutMs: 2_000 });
    const list = (await observer.call('CLIENT', 'LIST')) as string;
    return {
      zookeeper: cons.split('\n').filter((line) => /^\s*\/\S+\[\d+\]\(/.test(line)).length,
      redis: list.trim().split('\n').length,
    };
  }

  function openSockets(): number {
    return process.getActiveResourcesInfo().filter((kind) => kind === 'TCPSocketWrap').length;
  }

  it.each([
    [
      'label of 200 characters, 400 UTF-8 bytes',
      { label: 'é'.repeat(200) },
      /^label must be a well-formed string of 1 to 256 UTF-8 bytes/,
    ],
    ['unknown option ttl', { ttl: 60_000 }, /^unknown option ttl \(did you mean ttlMs\?\)$/],
    ['ttlMs as a string', { ttlMs: '60000' }, /^ttlMs must be a whole number of ms .*, got string "60000"$/],
    ['retention shorter than lock + session', { retentionMs: 1_000 }, /^retentionMs=1000 must be at least/],
    ['ioredis keyPrefix', { redis: { keyPrefix: 'p:' } }, /^redis must not use the ioredis keyPrefix option/],
    ['empty label', { label: '' }, /^label must be/],
  ])(
    '%s: InvalidOptionsError naming it, no client on either server, no socket left',
    async (_what, override, message) => {
      const redisOverride =
        'redis' in override ? { redis: { ...(override.redis as object), port: stack().redis.port } } : {};
      const before = await clients();
      const socketsBefore = openSockets();

      const outcome = await OrderedCache.connect(options({ ...override, ...redisOverride })).then(
        async (cache) => {
          await cache.close(); // accepted: close it so later cases still count from a clean slate
          return 'connected';
        },
        (error: unknown) => error,
      );

      expect(outcome).toBeInstanceOf(InvalidOptionsError);
      expect(await clients()).toEqual(before);
      expect(openSockets()).toBe(socketsBefore);
      expect((outcome as Error).message).toMatch(message);
      expect((outcome as Error).message).not.toContain('writerLabel');
    },
  );

  it('the same servers do see a good connect (the counts can move)', async () => {
    const before = await clients();
    const cache = await OrderedCache.connect(options({ label: 'é'.repeat(128) }));
    try {
      const during = await clients();
      expect(during.zookeeper).toBe(before.zookeeper + 1);
      expect(during.redis).toBe(before.redis + 2); // the cache's connection and its near cache's tracking connection
    } finally {
      await cache.close();
    }
  });
});
