import { Redis } from 'ioredis';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { CacheEvents } from '../../src/cache/events.js';
import type { OrderedCache } from '../../src/cache/ordered-cache.js';
import { ConnectionError } from '../../src/errors.js';
import { deferred, openCache } from '../cache/fixture.js';
import { needs, useStack } from '../support/stack.js';
import { createProducts, openPool, productLoader } from './workload.js';

const COMMAND_TIMEOUT_MS = 600;
// the liveness check fails a silent connection's oldest command within 1.2 × the timeout
const FIRST_CALL_BOUND_MS = COMMAND_TIMEOUT_MS * 1.2 + 300;

/** Records every command the process sends to Redis (all ioredis clients go through sendCommand). */
function recordRedisCommands(): { sent: () => string[]; stop: () => void } {
  const spy = vi.spyOn(Redis.prototype, 'sendCommand');
  return {
    sent: () => spy.mock.calls.map(([command]) => `${command.name} ${command.args.map(String).join(' ')}`),
    stop: () => spy.mockRestore(),
  };
}

function collect<E extends keyof CacheEvents>(cache: OrderedCache<number>, event: E): CacheEvents[E][] {
  const seen: CacheEvents[E][] = [];
  cache.events.on(event, (data) => seen.push(data));
  return seen;
}

describe("onCacheUnavailable: 'load' against real servers", needs('faults', 'pauses Redis and ZooKeeper'), () => {
  const stack = useStack({ zookeeper: { fsync: false } });
  let pool: pg.Pool;

  beforeAll(async () => {
    pool = openPool(stack().postgres.url, 4);
    await createProducts(pool, 10);
  });
  afterAll(async () => {
    await pool?.end();
  });

  it('Redis paused: the database answers within the bound, the breaker skips Redis, then Redis serves again', async () => {
    await using cache = await openCache<number>(stack(), {
      onCacheUnavailable: 'load',
      redisCommandTimeoutMs: COMMAND_TIMEOUT_MS,
    });
    const load = (key: string) => productLoader(pool, key);
    expect(await cache.getEntry('product:1', load('product:1'))).toMatchObject({ value: 100, source: 'loader' });
    expect(await cache.getEntry('product:1', load('product:1'))).toMatchObject({ value: 100, source: 'cache' });
    const bypasses = collect(cache, 'bypass');
    const written = collect(cache, 'written');
    const loads = collect(cache, 'load');

    await stack().redis.pause();
    let commands: ReturnType<typeof recordRedisCommands> | undefined;
    try {
      const started = performance.now();
      // the cached entry is unreachable: the answer is the database's, after at most one timeout
      expect(await cache.getEntry('product:1', load('product:1'))).toMatchObject({ value: 100, source: 'loader' });
      expect(performance.now() - started).toBeLessThan(FIRST_CALL_BOUND_MS);
      expect(bypasses).toEqual([{ key: 'product:1', reason: 'redis-unavailable' }]);
      expect(loads.map((l) => l.key)).toEqual(['product:1']);

      // breaker open: 20 reads of other keys pay no timeout and send nothing to Redis
      commands = recordRedisCommands();
      const openStarted = performance.now();
      for (let i = 0; i < 20; i += 1) {
        const key = `product:${2 + (i % 3)}`;
        expect(await cache.get(key, load(key))).toBe(100);
      }
      expect(performance.now() - openStarted).toBeLessThan(COMMAND_TIMEOUT_MS);
      expect(commands.sent().filter((c) => /product:[234]/.test(c))).toEqual([]);
      expect(bypasses.slice(1).every((b) => b.reason === 'circuit-open')).toBe(true);
      expect(bypasses).toHaveLength(21);
      expect(loads).toHaveLength(21);
      expect(written).toEqual([]); // nothing cached while Redis was out
    } finally {
      commands?.stop();
      await stack().redis.resume();
    }

    // the probe closes the breaker: reads go through Redis again, fill it, then hit it
    await vi.waitFor(
      async () => {
        const before = bypasses.length;
        await cache.getEntry('product:5', load('product:5'));
        expect(bypasses.length).toBe(before);
      },
      { timeout: 5_000, interval: 100 },
    );
    expect(await cache.getEntry('product:1', load('product:1'))).toMatchObject({ value: 100, source: 'cache' });
    expect(await cache.getEntry('product:5', load('product:5'))).toMatchObject({ value: 100, source: 'cache' });
    expect(written.map((w) => w.key)).toEqual(['product:5']);
  });

  it('Redis stops between the load and its write: the loaded row is served uncached, the loader runs once', async () => {
    await using cache = await openCache<number>(stack(), {
      onCacheUnavailable: 'load',
      redisCommandTimeoutMs: COMMAND_TIMEOUT_MS,
    });
    const bypasses = collect(cache, 'bypass');
    let loads = 0;
    try {
      const started = performance.now();
      const result = await cache.getEntry('product:10', async () => {
        loads += 1;
        const row = await productLoader(pool, 'product:10')();
        await stack().redis.pause(); // the fill's write will get no answer
        return row;
      });
      expect(result).toMatchObject({ value: 100, source: 'loader' });
      expect(performance.now() - started).toBeLessThan(FIRST_CALL_BOUND_MS);
      expect(loads).toBe(1);
      expect(bypasses).toEqual([{ key: 'product:10', reason: 'redis-unavailable' }]);
    } finally {
      await stack().redis.resume();
    }
  });

  it("default ('throw'): a paused Redis still fails get() with E_CONNECTION, and no loader runs", async () => {
    await using cache = await openCache<number>(stack(), { redisCommandTimeoutMs: COMMAND_TIMEOUT_MS });
    let loads = 0;
    const loader = () => {
      loads += 1;
      return productLoader(pool, 'product:6')();
    };
    expect(await cache.get('product:6', loader)).toBe(100);
    await stack().redis.pause();
    try {
      const started = performance.now();
      const failure = await cache.get('product:6', loader).catch((error: unknown) => error);
      expect(failure).toBeInstanceOf(ConnectionError);
      expect(failure).toMatchObject({ code: 'E_CONNECTION', server: 'redis' });
      expect(performance.now() - started).toBeLessThan(FIRST_CALL_BOUND_MS);
      // no fallback by default: the next call fails too, and the loader never runs
      await expect(cache.get('product:7', loader)).rejects.toMatchObject({ code: 'E_CONNECTION' });
      expect(loads).toBe(1);
    } finally {
      await stack().redis.resume();
    }
  });

  it('ZooKeeper paused: a cold get() fills without the lock, and the fence still refuses an older write', async () => {
    await using cache = await openCache<number>(stack(), { onCacheUnavailable: 'load' });
    const bypasses = collect(cache, 'bypass');
    const stale = collect(cache, 'stale');
    const suspended = new Promise<void>((resolve) =>
      cache.zookeeper.on('state', (state) => {
        if (state !== 'connected') resolve();
      }),
    );
    await stack().zookeeper.pause();
    try {
      await suspended;
      const started = performance.now();
      expect(await cache.getEntry('product:8', productLoader(pool, 'product:8'))).toMatchObject({
        value: 100,
        source: 'loader',
      });
      expect(performance.now() - started).toBeLessThan(1_000); // did not wait for lockTimeoutMs
      expect(bypasses).toEqual([{ key: 'product:8', reason: 'zookeeper-unavailable' }]);
      expect(await cache.getEntry('product:8', productLoader(pool, 'product:8'))).toMatchObject({ source: 'cache' });

      // a slow loader read version 5; a newer entry (10) lands meanwhile; its write is refused
      const loaderStarted = deferred();
      const release = deferred();
      const slow = cache.getEntry('fenced', async () => {
        loaderStarted.resolve();
        await release.promise;
        return { value: 5, timestamp: 5 };
      });
      await loaderStarted.promise;
      expect((await cache.store.write('fenced', 10, 10)).status).toBe('written');
      release.resolve();
      expect(await slow).toMatchObject({ value: 10, timestamp: 10n, source: 'cache' });
      expect(stale).toEqual([{ key: 'fenced', attempted: 5n, current: 10n, source: 'load' }]);
      expect((await cache.peek('fenced'))?.timestamp).toBe(10n);
    } finally {
      await stack().zookeeper.resume();
    }
  });

  it('a contended lock is not a ZooKeeper outage: LockTimeoutError while connected, the fill proceeds once ZooKeeper goes silent', async () => {
    await using waiter = await openCache<number>(stack(), { onCacheUnavailable: 'load', lockTimeoutMs: 1_000 });
    await using holder = await openCache<number>(stack(), { namespace: waiter.namespace });
    const bypasses = collect(waiter, 'bypass');
    const holding = deferred();
    const held = deferred();
    const done = holder.withLock('product:9', async () => {
      held.resolve();
      await holding.promise;
    });
    await held.promise;
    try {
      // ZooKeeper answers, the lock is busy: the fill waits and times out as without the option
      await expect(waiter.get('product:9', productLoader(pool, 'product:9'))).rejects.toMatchObject({
        code: 'E_LOCK_TIMEOUT',
      });
      expect(bypasses).toEqual([]);

      // waiting on the same busy lock when ZooKeeper goes silent: the fill goes ahead without it
      const slowWaiter = await openCache<number>(stack(), {
        namespace: waiter.namespace,
        onCacheUnavailable: 'load',
        lockTimeoutMs: 20_000,
      });
      try {
        const slowBypasses = collect(slowWaiter, 'bypass');
        const pending = slowWaiter.getEntry('product:9', productLoader(pool, 'product:9'));
        await new Promise((resolve) => setTimeout(resolve, 200));
        expect(slowBypasses).toEqual([]); // still queued behind the holder
        await stack().zookeeper.pause();
        try {
          expect(await pending).toMatchObject({ value: 100, source: 'loader' });
          expect(slowBypasses).toEqual([{ key: 'product:9', reason: 'zookeeper-unavailable' }]);
          expect(slowWaiter.zookeeper.state).not.toBe('connected');
        } finally {
          await stack().zookeeper.resume();
        }
      } finally {
        await slowWaiter.close();
      }
    } finally {
      holding.resolve();
      await done.catch(() => undefined);
    }
  });

  it('rejects a bad onCacheUnavailable before opening anything', async () => {
    await expect(
      openCache<number>(stack(), { onCacheUnavailable: 'ignore' as unknown as 'load' }),
    ).rejects.toMatchObject({
      code: 'E_INVALID_OPTIONS',
      message: 'onCacheUnavailable must be "throw" or "load", got string "ignore"',
    });
  });
});
