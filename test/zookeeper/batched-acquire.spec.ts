import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OrderedCache } from '../../src/cache/ordered-cache.js';
import { LockTimeoutError } from '../../src/errors.js';
import type { StartedStack } from '../../src/testing/index.js';
import { LockManager, type ZooKeeperConnection } from '../../src/zookeeper/index.js';
import { needs, startTestStack } from '../support/stack.js';
import { childrenOf, connect, eventually, mntrValue } from './helpers.js';

// Counts every request the server received (mntr), so nothing else may use the server meanwhile.
const mntr = needs('exclusive', 'counts the requests the server received (mntr)');

let stack: StartedStack;
let observer: ZooKeeperConnection;

beforeAll(async () => {
  stack = await startTestStack();
  observer = await connect(stack);
});
afterAll(async () => {
  await observer?.close();
  await stack?.stop();
});

const received = async (): Promise<number> =>
  mntrValue(await stack.zookeeper.fourLetterWord('mntr'), 'zk_packets_received');

describe('batched lock acquisition (acquireMany, invalidateMany)', () => {
  it('invalidateMany of 400 fresh keys costs a handful of ZooKeeper requests, not several per key', mntr, async () => {
    const cache = await OrderedCache.connect({
      zookeeper: { connectString: stack.zookeeper.connectString, sessionTimeoutMs: 10_000 },
      redis: stack.redis.url,
      namespace: 'batched-cost',
    });
    try {
      const entries = Array.from({ length: 400 }, (_, i) => ({ key: `p:${i}`, timestamp: 10 + i }));
      const before = await received();
      const results = await cache.invalidateMany(entries, { concurrency: 400 });
      expect(results.every((r) => r.status === 'written')).toBe(true);
      // the releases and then the key parents' deletes (after the 1 s linger) go in the background
      const root = '/zkoc/batched-cost/locks';
      let polls = 0; // each a request of its own
      await eventually(async () => ++polls > 0 && (await childrenOf(observer, root)).length === 0, 5_000, 'reaped');
      const requests = (await received()) - before - polls;
      // a create, a listing and a delete per key (and a parent create and delete) was ≥ 1 200;
      // batched: one multi of creates, one of deletes, one of parent deletes (pings and mntr aside)
      expect(requests).toBeLessThan(40);
    } finally {
      await cache.close();
    }
  });

  it('batched locks exclude like single ones: fresh keys, a parent made by someone else, a held key', async () => {
    const root = '/batched/locks';
    const mine = await connect(stack);
    const theirs = await connect(stack);
    try {
      const us = new LockManager(mine, { root });
      const them = new LockManager(theirs, { root, parentLingerMs: Infinity });
      // `known`'s parent exists (their lock came and went, the parent lingers); `held` is theirs now
      await (await them.acquire('known')).release();
      const held = await them.acquire('held');
      const keys = ['fresh:1', 'known', 'fresh:2', 'held', 'fresh:3'];
      const locks = us.acquireMany(keys, { timeoutMs: 10_000 });
      const free = await Promise.all([locks[0]!, locks[1]!, locks[2]!, locks[4]!]);
      for (const [i, key] of ['fresh:1', 'known', 'fresh:2', 'fresh:3'].entries()) {
        expect(free[i]!.key).toBe(key);
        expect((await them.state(key)).holder?.path).toBe(free[i]!.path);
        await expect(them.acquire(key, { timeoutMs: 200 })).rejects.toBeInstanceOf(LockTimeoutError);
      }
      let heldGranted = false;
      void locks[3]!.then(() => {
        heldGranted = true;
      });
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(heldGranted).toBe(false);
      await held.release();
      const late = await locks[3]!;
      expect((await them.state('held')).holder?.path).toBe(late.path);
      await Promise.all([...free, late].map((lock) => lock.release()));
      await eventually(async () => (await them.state('fresh:1')).holder === undefined, 2_000, 'released');
    } finally {
      await mine.close();
      await theirs.close();
    }
  });

  it('the same key twice in one acquireMany takes turns (one znode per key per process)', async () => {
    const zk = await connect(stack);
    try {
      const locks = new LockManager(zk, { root: '/batched/twice' });
      const [first, second] = locks.acquireMany(['k', 'k'], { timeoutMs: 5_000 });
      const a = await first!;
      let secondGranted = false;
      void second!.then(() => {
        secondGranted = true;
      });
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(secondGranted).toBe(false);
      expect((await locks.state('k')).waiters).toHaveLength(0);
      await a.release();
      const b = await second!;
      expect(b.path).not.toBe(a.path);
      await b.release();
    } finally {
      await zk.close();
    }
  });
});
