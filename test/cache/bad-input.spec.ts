import type { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { OrderedCache } from '../../src/cache/ordered-cache.js';
import { namespaceEpochKey } from '../../src/core/namespace.js';
import {
  AbortError,
  ConnectionError,
  ForeignEntryError,
  InvalidKeyError,
  InvalidOptionsError,
  InvalidTimestampError,
  InvalidValueError,
  LockLostError,
  LockTimeoutError,
  MalformedLoaderResultError,
} from '../../src/errors.js';
import type { StartedStack } from '../../src/testing/index.js';
import { startTestStack } from '../support/stack.js';
import { childrenOf } from '../zookeeper/helpers.js';
import { openCache, rawRedis } from './fixture.js';

// docs/design.md "Bad input": every case gets its typed
// error, and afterwards Redis holds nothing new and no lock znode is left behind.
describe('bad input: typed errors, nothing written, no znode left', () => {
  let stack: StartedStack;
  let cache: OrderedCache<unknown>;
  let redis: Redis;

  beforeAll(async () => {
    stack = await startTestStack();
    cache = await openCache(stack, { maxValueBytes: 64, lockTimeoutMs: 2_000 });
    redis = await rawRedis(stack);
  });
  afterEach(async () => {
    // The invariant every case must leave behind (a fill's start creates the namespace's epoch key,
    // docs/design.md "The epoch fence": not an entry).
    const epochKey = namespaceEpochKey(cache.store.options.namespace);
    expect((await redis.keys('*')).filter((k) => k !== epochKey)).toEqual([]);
    expect(await lockZnodes()).toEqual([]);
    await redis.flushdb();
  });
  afterAll(async () => {
    redis?.disconnect();
    await cache?.close();
    await stack?.stop();
  });

  async function lockZnodes(): Promise<string[]> {
    const root = cache.locks.lockRoot;
    const keys = await childrenOf(cache.zookeeper, root).catch(() => []);
    const nodes: string[] = [];
    for (const key of keys)
      nodes.push(...(await childrenOf(cache.zookeeper, `${root}/${key}`)).map((c) => `${key}/${c}`));
    return nodes;
  }

  const loader = async () => ({ value: 1, timestamp: 1n });
  const badKeys: [string, unknown, RegExp][] = [
    ['empty', '', /key must not be empty/],
    ['over 1024 bytes', 'k'.repeat(1025), /1025 UTF-8 bytes; the limit is 1024/],
    ['lone surrogate', 'a\udc00', /lone UTF-16 surrogate/],
    ['not a string', 12, /key must be a string/],
  ];

  describe.each(badKeys)('invalid key (%s)', (_name, key, message) => {
    it.each([
      ['get', () => cache.get(key as string, loader)],
      ['set', () => cache.set(key as string, 1, 1n)],
      ['invalidate', () => cache.invalidate(key as string, 1n)],
      ['peek', () => cache.peek(key as string)],
      ['inspect', () => cache.inspect(key as string)],
      ['withLock', () => cache.withLock(key as string, () => 'ran')],
      ['locks.acquire', () => cache.locks.acquire(key as string)],
    ])('%s throws InvalidKeyError', async (_op, call) => {
      await expect(call()).rejects.toThrow(InvalidKeyError);
      await expect(call()).rejects.toThrow(message);
    });
  });

  it.each([
    ['negative', -1n, /must not be negative/],
    ['fractional', 1.5, /must be an integer/],
    ['NaN', Number.NaN, /is NaN/],
    ['over 2^63-1', 2n ** 63n, /above the maximum 2\^63-1/],
    ['unsafe number', 2 ** 53, /MAX_SAFE_INTEGER/],
    ['non-digit string', '12a', /decimal digits only/],
  ])('invalid timestamp (%s) throws InvalidTimestampError from set and invalidate', async (_name, ts, message) => {
    await expect(cache.set('k', 1, ts as bigint)).rejects.toThrow(InvalidTimestampError);
    await expect(cache.set('k', 1, ts as bigint)).rejects.toThrow(message);
    await expect(cache.invalidate('k', ts as bigint)).rejects.toThrow(InvalidTimestampError);
  });

  it.each([
    ['undefined', undefined, /must not be undefined/],
    ['a bigint inside JSON', { n: 1n }, /BigInt/i],
    [
      'a cyclic object',
      (() => {
        const o: Record<string, unknown> = {};
        o.self = o;
        return o;
      })(),
      /cycl|circular/i,
    ],
    ['over maxValueBytes', 'x'.repeat(100), /the limit is maxValueBytes=64/],
  ])('invalid value (%s) throws InvalidValueError', async (_name, value, message) => {
    await expect(cache.set('k', value, 1n)).rejects.toThrow(InvalidValueError);
    await expect(cache.set('k', value, 1n)).rejects.toThrow(message);
  });

  it.each([
    ['no timestamp', { value: 1 }, /without "timestamp"/],
    ['negative timestamp', { value: 1, timestamp: -1 }, /must not be negative/],
    ['no value', { timestamp: 1 }, /no "value"/],
    ['a string', 'oops', /got string/],
    ['an array', [1, 2], /got an array/],
    ['missing and a value', { missing: true, value: 1, timestamp: 1 }, /both "missing: true" and a value/],
  ])(
    'malformed loader result (%s) throws MalformedLoaderResultError and releases the lock',
    async (_name, result, message) => {
      const bad = async () => result as never;
      await expect(cache.get('k', bad)).rejects.toThrow(MalformedLoaderResultError);
      await expect(cache.get('k', bad)).rejects.toThrow(message);
    },
  );

  it('a lock timeout throws LockTimeoutError and leaves only the holder', async () => {
    const holder = await openCache(stack, { namespace: cache.namespace });
    try {
      await holder.withLock('busy', async () => {
        await expect(cache.set('busy', 1, 1n, {})).rejects.toThrow(LockTimeoutError);
        await expect(cache.withLock('busy', () => 'ran', { timeoutMs: 100 })).rejects.toThrow(
          /not acquired within timeoutMs=100/,
        );
        expect((await cache.locks.state('busy')).waiters).toEqual([]);
      });
    } finally {
      await holder.close();
    }
  });

  it('an abort throws AbortError and removes our znode', async () => {
    const holder = await openCache(stack, { namespace: cache.namespace });
    try {
      await holder.withLock('busy', async () => {
        const controller = new AbortController();
        const write = cache.set('busy', 1, 1n, { signal: controller.signal });
        await new Promise((r) => setTimeout(r, 100));
        expect((await cache.locks.state('busy')).waiters).toHaveLength(1);
        controller.abort();
        await expect(write).rejects.toThrow(AbortError);
        expect((await cache.locks.state('busy')).waiters).toEqual([]);
      });
    } finally {
      await holder.close();
    }
  });

  it('an entry key holding foreign data throws ForeignEntryError and is left untouched', async () => {
    const redisKey = cache.store.redisKeyOf('foreign');
    await redis.set(redisKey, 'not ours');
    await expect(cache.get('foreign', loader)).rejects.toThrow(ForeignEntryError);
    await expect(cache.set('foreign', 1, 5n)).rejects.toThrow(ForeignEntryError);
    await expect(cache.set('foreign', 1, 5n)).rejects.toThrow(/left untouched/);
    expect(await redis.get(redisKey)).toBe('not ours');
    await redis.del(redisKey);
  });

  it('a lost lock aborts lock.signal with LockLostError (session expired)', async () => {
    // A long session, so the server's "expired" (not our silence clock) is what ends it; see session-loss.spec.ts.
    const other = await openCache(stack, {
      namespace: cache.namespace,
      zookeeper: { connectString: stack.zookeeper.connectString, sessionTimeoutMs: 8_000 },
    });
    try {
      const lost = await other.withLock('expiring', async (lock) => {
        const { sessionId, password } = other.zookeeper.sessionCredentials();
        await stack.expireSession(sessionId, password);
        return new Promise<unknown>((resolve) => {
          if (lock.signal.aborted) resolve(lock.signal.reason);
          lock.signal.addEventListener('abort', () => resolve(lock.signal.reason), { once: true });
        });
      });
      expect(lost).toBeInstanceOf(LockLostError);
      expect(lost).toMatchObject({ code: 'E_LOCK_LOST', key: 'expiring', reason: 'session-expired' });
      // The connection builds a new session by itself: the next write works.
      expect(await other.set('expiring', 1, 1n)).toEqual({ status: 'written', current: 1n });
      await redis.flushdb();
    } finally {
      await other.close();
    }
  });

  describe('connect', () => {
    it.each([
      ['a bad namespace', { namespace: 'has space' }, /namespace must be 1-128 characters/],
      ['a negative ttlMs', { ttlMs: -1 }, /ttlMs must be a whole number/],
      [
        'retention below lock + session timeout',
        { retentionMs: 10, lockTimeoutMs: 5_000 },
        /retentionMs=10 must be at least/,
      ],
      ['no connect string', { zookeeper: { connectString: '' } }, /zookeeper\.connectString must look like "host:port/],
      ['an unknown option', { ttl: 60_000 }, /^unknown option ttl \(did you mean ttlMs\?\)$/],
      ['a number given as a string', { ttlMs: '60000' }, /ttlMs must be a whole number of ms .*, got string "60000"$/],
      ['no redis', { redis: '' }, /redis must be a URL/],
    ])('rejects %s with InvalidOptionsError', async (_name, options, message) => {
      const connecting = openCache(stack, options as never);
      await expect(connecting).rejects.toThrow(InvalidOptionsError);
      await expect(openCache(stack, options as never)).rejects.toThrow(message);
    });

    it('fails with ConnectionError within connectTimeoutMs when ZooKeeper is unreachable', async () => {
      const started = Date.now();
      const connecting = OrderedCache.connect({
        zookeeper: { connectString: '127.0.0.1:1', connectTimeoutMs: 1_000 },
        redis: stack.redis.url,
        namespace: 'x',
      });
      await expect(connecting).rejects.toThrow(ConnectionError);
      expect(Date.now() - started).toBeLessThan(3_000);
    });

    it('fails with ConnectionError within the connect timeout when Redis is unreachable, without the password', async () => {
      const started = Date.now();
      const connecting = OrderedCache.connect({
        zookeeper: { connectString: stack.zookeeper.connectString },
        redis: 'redis://user:hunter2@127.0.0.1:1',
        redisConnectTimeoutMs: 1_000,
        namespace: 'x',
      });
      const error = await connecting.then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(ConnectionError);
      expect(String((error as Error).message)).not.toContain('hunter2');
      expect((error as Error).message).toMatch(/redis:\/\/user:\*\*\*@127\.0\.0\.1:1/);
      expect(Date.now() - started).toBeLessThan(3_000);
    });
  });
});
