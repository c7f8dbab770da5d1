import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { OrderedCache } from '../../src/cache/ordered-cache.js';
import { LockTimeoutError } from '../../src/errors.js';
import type { StartedStack } from '../../src/testing/index.js';
import { LockManager } from '../../src/zookeeper/index.js';
import { needs, startTestStack } from '../support/stack.js';
import { connect } from './helpers.js';

// A paused (SIGSTOP) ZooKeeper keeps its sockets open and answers nothing: nothing fails on its
// own before our liveness clock gives the session up, a whole session timeout later.
let stack: StartedStack;

beforeAll(async () => {
  stack = await startTestStack();
});
afterEach(async () => {
  await stack?.zookeeper.resume();
});
afterAll(async () => {
  await stack?.stop();
});

/** Milliseconds `work` took to settle, and how it settled. */
async function timed<T>(work: Promise<T>): Promise<{ ms: number; outcome: PromiseSettledResult<T> }> {
  const started = performance.now();
  const [outcome] = await Promise.allSettled([work]);
  return { ms: performance.now() - started, outcome: outcome! };
}

describe(
  'lock waits against a ZooKeeper that stops answering',
  needs('faults', 'pauses ZooKeeper with SIGSTOP'),
  () => {
    it('the first acquire on a silent server fails after timeoutMs, not after the session timeout', async () => {
      await using zk = await connect(stack, { sessionTimeoutMs: 10_000 });
      const locks = new LockManager(zk, { root: '/silent-first/locks' });
      await stack.zookeeper.pause();
      const first = await timed(locks.acquire('k', { timeoutMs: 1500 }));
      expect(first.outcome.status).toBe('rejected');
      expect((first.outcome as PromiseRejectedResult).reason).toBeInstanceOf(LockTimeoutError);
      expect(first.ms).toBeGreaterThanOrEqual(1490);
      expect(first.ms).toBeLessThan(1500 + 500);
      const second = await timed(locks.acquire('k', { timeoutMs: 1500 }));
      expect((second.outcome as PromiseRejectedResult).reason).toBeInstanceOf(LockTimeoutError);
      expect(second.ms).toBeLessThan(1500 + 500);
    });

    it('a queued waiter whose server falls silent gives up after timeoutMs; its node goes once the server answers', async () => {
      const root = '/silent-queued/locks';
      await using holderZk = await connect(stack, { sessionTimeoutMs: 10_000 });
      await using waiterZk = await connect(stack, { sessionTimeoutMs: 10_000 });
      const holder = await new LockManager(holderZk, { root }).acquire('k');
      const waiter = new LockManager(waiterZk, { root });
      const waiting = timed(waiter.acquire('k', { timeoutMs: 1500 }));
      // queued behind the holder before the server falls silent
      const started = performance.now();
      while ((await waiter.state('k')).waiters.length === 0) {
        expect(performance.now() - started).toBeLessThan(5000);
      }
      await stack.zookeeper.pause();
      const { ms, outcome } = await waiting;
      expect((outcome as PromiseRejectedResult).reason).toBeInstanceOf(LockTimeoutError);
      expect(ms).toBeLessThan(1500 + 500);
      await stack.zookeeper.resume();
      await waiter.settled();
      expect((await waiter.state('k')).waiters).toEqual([]);
      await holder.release();
    });
  },
);

describe('OrderedCache.close() is bounded', () => {
  async function openCache(namespace: string): Promise<OrderedCache<unknown>> {
    return OrderedCache.connect({
      zookeeper: { connectString: stack.zookeeper.connectString, sessionTimeoutMs: 10_000 },
      redis: stack.redis.url,
      namespace,
      lockTimeoutMs: 1500,
    });
  }

  it('takes at most 1 s when the servers answer', async () => {
    const cache = await openCache('close-answering');
    await (await cache.locks.acquire('k')).release();
    const { ms, outcome } = await timed(cache.close());
    expect(outcome.status).toBe('fulfilled');
    expect(ms).toBeLessThanOrEqual(1000);
  });

  it('takes at most about 1 s after ZooKeeper stopped answering', async () => {
    const cache = await openCache('close-silent');
    await (await cache.locks.acquire('k')).release(); // leaves an idle parent for close() to delete
    await stack.zookeeper.pause();
    await expect(cache.locks.acquire('k')).rejects.toBeInstanceOf(LockTimeoutError);
    const { ms, outcome } = await timed(cache.close());
    expect(outcome.status).toBe('fulfilled');
    expect(ms).toBeLessThan(1000 + 200);
  });
});
