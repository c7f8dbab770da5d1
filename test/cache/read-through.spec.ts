import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { OrderedCache } from '../../src/cache/ordered-cache.js';
import type { StartedStack } from '../../src/testing/index.js';
import { needs, startTestStack } from '../support/stack.js';
import { deferred, openCache, rawRedis } from './fixture.js';

const exclusive = needs('exclusive', 'watches every command the Redis server receives (MONITOR)');

describe('read-through get()', () => {
  let stack: StartedStack;
  let cache: OrderedCache<{ price: number }>;
  let redis: Redis;

  beforeAll(async () => {
    stack = await startTestStack();
    cache = await openCache(stack);
    redis = await rawRedis(stack);
  });
  afterAll(async () => {
    redis?.disconnect();
    await cache?.close();
    await stack?.stop();
  });

  it('loads a cold key once, then serves it from Redis', async () => {
    let loads = 0;
    const loader = async () => {
      loads += 1;
      return { value: { price: 100 }, timestamp: 5n };
    };
    expect(await cache.get('p:1', loader)).toEqual({ price: 100 });
    expect(await cache.getEntry('p:1', loader)).toEqual({
      value: { price: 100 },
      timestamp: 5n,
      source: 'cache',
      stale: false,
    });
    expect(loads).toBe(1);
  });

  it(
    'serves a hit with exactly one Redis command (the near cache barrier PING) and no ZooKeeper request',
    exclusive,
    async () => {
      await cache.set('p:hit', { price: 7 }, 1n);
      await cache.get('p:hit', () => Promise.reject(new Error('must not load'))); // read from Redis, kept in process
      const monitor = await redis.monitor();
      const commands: string[] = [];
      monitor.on('monitor', (_time: string, args: string[]) => commands.push(args.join(' ')));
      const acquire = vi.spyOn(cache.locks, 'acquire');
      const state = vi.spyOn(cache.locks, 'state');
      // MONITOR starts streaming asynchronously; a marker command tells us when it is live.
      await waitForMarker(redis, commands);
      commands.length = 0;
      expect(await cache.get('p:hit', () => Promise.reject(new Error('must not load')))).toEqual({ price: 7 });
      await waitForMarker(redis, commands);
      monitor.disconnect();
      const ours = commands.filter((c) => !c.startsWith('echo marker'));
      expect(ours).toHaveLength(1);
      expect(ours[0]).toMatch(/^ping$/i); // without the near cache: one HMGET (test/redis/one-command-hit-path.spec.ts)
      expect(acquire).not.toHaveBeenCalled();
      expect(state).not.toHaveBeenCalled();
      acquire.mockRestore();
      state.mockRestore();
    },
  );

  it('coalesces concurrent misses in one process into one load and one lock', async () => {
    let loads = 0;
    let acquisitions = 0;
    const onAcquired = () => (acquisitions += 1);
    cache.events.on('lock-acquired', onAcquired);
    const release = deferred();
    const loader = async () => {
      loads += 1;
      await release.promise;
      return { value: { price: 3 }, timestamp: 9n };
    };
    const calls = Array.from({ length: 50 }, () => cache.get('p:coalesce', loader));
    setTimeout(() => release.resolve(), 50);
    const values = await Promise.all(calls);
    cache.events.off('lock-acquired', onAcquired);
    expect(values.every((v) => v?.price === 3)).toBe(true);
    expect(loads).toBe(1);
    expect(acquisitions).toBe(1);
  });

  it("passes the loader's error to every waiting caller, writes nothing and releases the lock", async () => {
    const boom = new Error('database is down');
    const calls = Array.from({ length: 5 }, () => cache.get('p:fail', async () => Promise.reject(boom)));
    const results = await Promise.allSettled(calls);
    expect(results.every((r) => r.status === 'rejected' && r.reason === boom)).toBe(true);
    expect(await cache.peek('p:fail')).toBeUndefined();
    expect(await redis.exists(cache.store.redisKeyOf('p:fail'))).toBe(0);
    expect((await cache.locks.state('p:fail')).holder).toBeUndefined();
    // The next caller loads afresh.
    expect(await cache.get('p:fail', async () => ({ value: { price: 1 }, timestamp: 1n }))).toEqual({ price: 1 });
  });

  it('caches "no such row" with its timestamp so lookups of missing rows stop reaching the loader', async () => {
    let loads = 0;
    const loader = async () => {
      loads += 1;
      return { missing: true as const, timestamp: 4n };
    };
    expect(await cache.get('p:missing', loader)).toBeUndefined();
    expect(await cache.get('p:missing', loader)).toBeUndefined();
    expect(loads).toBe(1);
    expect(await cache.peek('p:missing')).toMatchObject({ kind: 'missing', timestamp: 4n });
    // The missing answer orders like a value: an older value cannot replace it, a newer one can.
    expect(await cache.set('p:missing', { price: 1 }, 3n)).toEqual({ status: 'stale', current: 4n });
    expect(await cache.set('p:missing', { price: 2 }, 5n)).toEqual({ status: 'written', current: 5n });
  });

  it('does not cache when the loader returns undefined', async () => {
    let loads = 0;
    const loader = async () => {
      loads += 1;
      return undefined;
    };
    expect(await cache.get('p:none', loader)).toBeUndefined();
    expect(await cache.get('p:none', loader)).toBeUndefined();
    expect(loads).toBe(2);
    expect(await redis.exists(cache.store.redisKeyOf('p:none'))).toBe(0);
  });

  it('reloads after invalidate and never serves the tombstone', async () => {
    await cache.set('p:inv', { price: 100 }, 10n);
    expect(await cache.invalidate('p:inv', 11n)).toEqual({ status: 'written', current: 11n });
    expect(await cache.peek('p:inv')).toBeUndefined();
    expect(await cache.get('p:inv', async () => ({ value: { price: 50 }, timestamp: 11n }))).toEqual({ price: 50 });
  });

  it('lets one caller stop waiting without cancelling the load for the others', async () => {
    const release = deferred();
    const loader = async () => {
      await release.promise;
      return { value: { price: 8 }, timestamp: 1n };
    };
    const controller = new AbortController();
    const quitter = cache.get('p:abort', loader, { signal: controller.signal });
    const stayer = cache.get('p:abort', loader);
    controller.abort();
    await expect(quitter).rejects.toMatchObject({ name: 'AbortError', code: 'E_ABORTED' });
    release.resolve();
    expect(await stayer).toEqual({ price: 8 });
  });
});

describe('grace', () => {
  let stack: StartedStack;
  let cache: OrderedCache<string>;

  beforeAll(async () => {
    stack = await startTestStack();
    cache = await openCache<string>(stack, { ttlMs: 200, graceMs: 60_000 });
  });
  afterAll(async () => {
    await cache?.close();
    await stack?.stop();
  });

  it('serves an expired value within graceMs while one caller refreshes it', async () => {
    await cache.set('g:1', 'old', 1n);
    await new Promise((r) => setTimeout(r, 300));
    const refreshed = deferred();
    let loads = 0;
    const loader = async () => {
      loads += 1;
      setImmediate(() => refreshed.resolve());
      return { value: 'new', timestamp: 2n };
    };
    const results = await Promise.all([cache.getEntry('g:1', loader), cache.getEntry('g:1', loader)]);
    for (const result of results) expect(result).toEqual({ value: 'old', timestamp: 1n, source: 'grace', stale: true });
    await refreshed.promise;
    await expectEventually(async () => (await cache.peek('g:1'))?.timestamp === 2n);
    expect(loads).toBe(1);
    expect(await cache.getEntry('g:1', loader)).toEqual({ value: 'new', timestamp: 2n, source: 'cache', stale: false });
  });

  it('keeps serving the stale value, marked, when the loader fails', async () => {
    await cache.set('g:2', 'old', 1n);
    await new Promise((r) => setTimeout(r, 300));
    const failures: unknown[] = [];
    cache.events.on('grace-served', (e) => e.reason === 'load-failed' && failures.push(e.error));
    const loader = async () => {
      throw new Error('database is down');
    };
    expect(await cache.getEntry('g:2', loader)).toMatchObject({ value: 'old', stale: true, source: 'grace' });
    await expectEventually(async () => failures.length === 1);
    expect(await cache.getEntry('g:2', loader)).toMatchObject({ value: 'old', stale: true });
  });
});

async function expectEventually(check: () => Promise<boolean>, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function waitForMarker(redis: Redis, commands: string[]): Promise<void> {
  const marker = `marker-${Math.random()}`;
  const deadline = Date.now() + 5_000;
  while (!commands.some((c) => c.includes(marker))) {
    if (Date.now() > deadline) throw new Error('MONITOR never showed the marker command');
    await redis.echo(marker);
    await new Promise((r) => setTimeout(r, 10));
  }
}
