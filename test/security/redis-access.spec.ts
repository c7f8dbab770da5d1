import { inspect } from 'node:util';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { OrderedCacheOptions } from '../../src/cache/options.js';
import { OrderedCache } from '../../src/cache/ordered-cache.js';
import { AccessDeniedError } from '../../src/errors.js';
import type { StartedStack } from '../../src/testing/index.js';
import { needs, startTestStack } from '../support/stack.js';

const exclusive = needs('exclusive', 'creates Redis ACL users and sets the server’s requirepass');

// The minimal ACL documented in docs/access-control.md: HMGET for reads, EVALSHA (EVAL on NOSCRIPT)
// for writes, the commands the compare-write script calls, and INFO for ioredis's ready check.
const MINIMAL_ACL = [
  'resetkeys',
  '~zkoc:*',
  'resetchannels',
  '-@all',
  '+hmget',
  '+get',
  '+set',
  '+evalsha',
  '+eval',
  '+info',
  '+hset',
  '+pexpire',
  '+exists',
  '+type',
  '+time',
];
const SECRETS = ['writer-pass-9f2', 'narrow-pass-7c1', 'noscript-pass-3d8', 'server-pass-5e6', 'wrong-pass-0a4'];
const EVENT_NAMES = [
  'hit',
  'miss',
  'load',
  'written',
  'stale',
  'duplicate',
  'lock-acquired',
  'lock-lost',
  'grace-served',
] as const;

describe('Redis AUTH and ACL users', exclusive, () => {
  let stack: StartedStack;
  let admin: Redis;
  let host: string;
  let port: number;
  let namespaces = 0;
  const caches: OrderedCache<unknown>[] = [];
  const seen: string[] = [];

  const urlFor = (user: string, password: string): string => `redis://${user}:${password}@${host}:${port}`;
  const open = async (redis: OrderedCacheOptions['redis']): Promise<OrderedCache<unknown>> => {
    const cache = await OrderedCache.connect({
      zookeeper: { connectString: stack.zookeeper.connectString, sessionTimeoutMs: 4_000 },
      redis,
      namespace: `sec${++namespaces}`,
      lockTimeoutMs: 3_000,
      redisConnectTimeoutMs: 2_000,
      redisCommandTimeoutMs: 2_000,
    });
    caches.push(cache);
    for (const name of EVENT_NAMES) cache.events.on(name, (data) => seen.push(inspect(data, { depth: 6 })));
    return cache;
  };
  const rejection = (work: Promise<unknown>): Promise<unknown> =>
    work.then(
      () => {
        throw new Error('expected a refusal, the call succeeded');
      },
      (error: unknown) => error,
    );
  const expectNoSecret = (text: string): void => {
    for (const secret of SECRETS) expect(text).not.toContain(secret);
  };

  beforeAll(async () => {
    stack = await startTestStack();
    ({ host, port } = stack.redis);
    admin = new Redis(stack.redis.url, { lazyConnect: true, maxRetriesPerRequest: 1 });
    await admin.connect();
    await admin.call('ACL', 'SETUSER', 'zkoc-writer', 'on', '>writer-pass-9f2', ...MINIMAL_ACL);
    await admin.call('ACL', 'SETUSER', 'zkoc-narrow', 'on', '>narrow-pass-7c1', 'resetkeys', '~other:*', '+@all');
    await admin.call(
      'ACL',
      'SETUSER',
      'zkoc-noscript',
      'on',
      '>noscript-pass-3d8',
      'resetkeys',
      '~zkoc:*',
      '-@all',
      '+hmget',
      '+info',
    );
  });
  afterEach(async () => {
    await Promise.all(caches.splice(0).map((cache) => cache.close()));
    // back to an open server for the next case (the admin connection stays authenticated meanwhile)
    await admin.config('SET', 'requirepass', '');
    await admin.flushall();
  });
  afterAll(async () => {
    for (const user of ['zkoc-writer', 'zkoc-narrow', 'zkoc-noscript']) await admin?.call('ACL', 'DELUSER', user);
    admin?.disconnect();
    await stack?.stop();
    expectNoSecret(seen.join('\n'));
  });

  it('a user with only the minimal ACL reads, loads, writes and invalidates (URL and options object)', async () => {
    for (const redis of [
      urlFor('zkoc-writer', 'writer-pass-9f2'),
      { host, port, username: 'zkoc-writer', password: 'writer-pass-9f2' },
    ]) {
      const cache = await open(redis);
      expect(await cache.get('product:1', async () => ({ value: { price: 100 }, timestamp: 5n }))).toEqual({
        price: 100,
      });
      expect(await cache.get('product:1', async () => ({ value: 'not loaded', timestamp: 1n }))).toEqual({
        price: 100,
      });
      expect((await cache.set('product:1', { price: 50 }, 7n)).status).toBe('written');
      expect((await cache.set('product:1', { price: 100 }, 6n)).status).toBe('stale');
      expect((await cache.invalidate('product:1', 8n)).status).toBe('written');
      expect(await cache.peek('product:1')).toBeUndefined();
    }
    // one entry per cache, and each namespace's epoch key (the fill created it: docs/design.md "The epoch fence")
    expect(await admin.keys('zkoc:*:e:product:1')).toHaveLength(2);
    expect(await admin.keys('zkoc:*:epoch')).toHaveLength(2);
    expect(await admin.dbsize()).toBe(4);
  });

  it('a user whose key pattern excludes zkoc:* gets AccessDeniedError (NOPERM), nothing is written, the lock is released', async () => {
    const cache = await open(urlFor('zkoc-narrow', 'narrow-pass-7c1'));
    const error = await rejection(cache.set('product:2', 1, 1n));
    expect(error).toBeInstanceOf(AccessDeniedError);
    expect((error as AccessDeniedError).reply).toBe('NOPERM');
    expect((error as AccessDeniedError).server).toBe('redis');
    expect((error as Error).message).toMatch(/Redis refused .*NOPERM/);
    expectNoSecret(inspect(error, { depth: 6 }));
    const readError = await rejection(cache.get('product:2', async () => ({ value: 1, timestamp: 1n })));
    expect(readError).toBeInstanceOf(AccessDeniedError);
    expect(await admin.dbsize()).toBe(0);
    expect(await cache.locks.list()).toEqual([]);
  });

  it('a user without EVAL/EVALSHA can read but not write: AccessDeniedError, nothing written', async () => {
    const cache = await open(urlFor('zkoc-noscript', 'noscript-pass-3d8'));
    expect(await cache.peek('product:3')).toBeUndefined();
    const error = await rejection(cache.set('product:3', 1, 1n));
    expect(error).toBeInstanceOf(AccessDeniedError);
    expect((error as AccessDeniedError).reply).toBe('NOPERM');
    expectNoSecret(inspect(error, { depth: 6 }));
    expect(await admin.dbsize()).toBe(0);
  });

  it('requirepass: no password or a wrong one fails to connect with an AccessDeniedError that shows no password; the right one works', async () => {
    await admin.config('SET', 'requirepass', 'server-pass-5e6');
    for (const redis of [
      `redis://${host}:${port}`,
      `redis://:wrong-pass-0a4@${host}:${port}`,
      { host, port, password: 'wrong-pass-0a4' },
    ]) {
      const error = await rejection(open(redis));
      // a refused credential is not retried like an unreachable server (issue 11, defect 4)
      expect(error).toBeInstanceOf(AccessDeniedError);
      expect((error as AccessDeniedError).server).toBe('redis');
      expect((error as AccessDeniedError).reply).toMatch(/^(NOAUTH|WRONGPASS)$/);
      expectNoSecret(inspect(error, { depth: 6 }));
    }
    const cache = await open(`redis://:server-pass-5e6@${host}:${port}`);
    expect((await cache.set('product:4', 'v', 3n)).status).toBe('written');
    expect(await admin.dbsize()).toBe(1);
  });

  it('an unauthenticated ioredis instance passed in: every write is AccessDeniedError (NOAUTH), nothing written', async () => {
    await admin.config('SET', 'requirepass', 'server-pass-5e6');
    // no ready check: the connection opens without a command, so the refusal comes from our HMGET/EVALSHA
    const client = new Redis(stack.redis.url, { lazyConnect: true, enableReadyCheck: false, maxRetriesPerRequest: 1 });
    await client.connect();
    try {
      const cache = await open(client);
      const error = await rejection(cache.set('product:5', 'v', 1n));
      expect(error).toBeInstanceOf(AccessDeniedError);
      expect((error as AccessDeniedError).reply).toBe('NOAUTH');
      expect(await admin.dbsize()).toBe(0);
    } finally {
      client.disconnect();
    }
  });
});
