import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AbortError, ConnectionError, InvalidKeyError, LockTimeoutError } from '../../src/errors.js';
import type { StartedStack } from '../../src/testing/index.js';
import { LockManager, type LockManagerOptions, type ZooKeeperConnection } from '../../src/zookeeper/index.js';
import { LOCK_TEST_HOOKS, type LockTestHooks } from '../../src/zookeeper/lock-recipe.js';
import { needs, startTestStack } from '../support/stack.js';
import { childrenOf, connect, eventually, mntrValue, parseWchp } from './helpers.js';

const mntr = needs('exclusive', 'counts every watch on the server (mntr, wchp)');

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

describe('lock recipe against a real ZooKeeper', () => {
  it(
    'herd-free: each waiter holds one data watch on its predecessor (the next in line one on its own node too), and no child watch exists',
    mntr,
    async () => {
      // (the holder never looked at lock.signal, so it has no watch on its own node)
      const root = '/herd/locks';
      const conns = await Promise.all(Array.from({ length: 6 }, () => connect(stack)));
      try {
        const managers = conns.map((zk) => new LockManager(zk, { root }));
        const watchesBefore = mntrValue(await stack.zookeeper.fourLetterWord('mntr'), 'zk_watch_count');
        const holder = await managers[0]!.acquire('hot');
        const waiting = managers.slice(1).map((m) => m.acquire('hot', { timeoutMs: 10_000 }));
        await eventually(async () => (await managers[0]!.state('hot')).waiters.length === 5, 5000, '5 waiters queued');
        await eventually(
          async () => mntrValue(await stack.zookeeper.fourLetterWord('mntr'), 'zk_watch_count') >= watchesBefore + 6,
          2000,
          "the 5 predecessor watches and the next in line's own-node watch registered",
        );
        const state = await managers[0]!.state('hot');
        const lockNodes = [state.holder!, ...state.waiters];
        const wchp = parseWchp(await stack.zookeeper.fourLetterWord('wchp'));
        // every node but the last is watched by the next waiter's session, the next in line's by its own too
        for (const [i, node] of lockNodes.entries()) {
          const expected = i === 1 ? [node.ephemeralOwner] : [];
          if (i < lockNodes.length - 1) expected.push(lockNodes[i + 1]!.ephemeralOwner);
          expect((wchp.get(node.path) ?? []).sort(), node.path).toEqual(expected.sort());
        }
        const paths = lockNodes.map((n) => n.path);
        expect([...wchp.keys()].filter((p) => p.startsWith(`${root}/`) && !paths.includes(p))).toEqual([]);
        // mntr counts data AND child watches; wchp shows only data watches: equal growth means no child watch
        expect(mntrValue(await stack.zookeeper.fourLetterWord('mntr'), 'zk_watch_count')).toBe(watchesBefore + 6);

        await holder.release();
        const next = await Promise.race(waiting);
        expect(next.path).toBe(state.waiters[0]!.path);
        // one release woke exactly one waiter: the other four still wait
        expect((await managers[0]!.state('hot')).waiters.map((n) => n.path)).toEqual(
          state.waiters.slice(1).map((n) => n.path),
        );
        await next.release();
        // the waiters queued concurrently, so `next` may be any of the five promises: release the rest as they come
        await Promise.all(waiting.map((p) => p.then((lock) => (lock === next ? undefined : lock.release()))));
      } finally {
        await Promise.all(conns.map((zk) => zk.close()));
      }
    },
  );

  it('FIFO: 20 waiters over 5 connections acquire in the order they queued', async () => {
    const root = '/fifo/locks';
    const conns = await Promise.all(Array.from({ length: 6 }, () => connect(stack)));
    try {
      const [holderManager, ...managers] = conns.map((zk) => new LockManager(zk, { root }));
      const holder = await holderManager!.acquire('k');
      const order: number[] = [];
      const done: Promise<void>[] = [];
      for (let i = 0; i < 20; i++) {
        done.push(
          managers[i % 5]!.acquire('k', { timeoutMs: 20_000 }).then(async (lock) => {
            order.push(i);
            await new Promise((resolve) => setImmediate(resolve));
            await lock.release();
          }),
        );
        // the first five go to ZooKeeper: wait until each node exists so creation order is call order
        if (i < 5)
          await eventually(
            async () => (await holderManager!.state('k')).waiters.length === i + 1,
            5000,
            `waiter ${i} queued`,
          );
      }
      await holder.release();
      await Promise.all(done);
      expect(order).toEqual(Array.from({ length: 20 }, (_, i) => i));
      await Promise.all([holderManager!, ...managers].map((m) => m.settled()));
      expect(await childrenOf(observer, root)).toEqual([]);
    } finally {
      await Promise.all(conns.map((zk) => zk.close()));
    }
  });

  it('in-process queue: 30 concurrent acquires from one process never have more than one znode', async () => {
    const root = '/local-queue/locks';
    await using other = await connect(stack);
    await using zk = await connect(stack);
    const blocker = await new LockManager(other, { root }).acquire('k');
    const locks = new LockManager(zk, { root });
    let maxOurs = 0;
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        const state = await locks.state('k');
        const ours = [state.holder, ...state.waiters].filter((n) => n?.sessionId === zk.sessionId).length;
        maxOurs = Math.max(maxOurs, ours);
        await new Promise((resolve) => setTimeout(resolve, 2));
      }
    })();
    const order: number[] = [];
    const all = Array.from({ length: 30 }, (_, i) =>
      locks.acquire('k', { timeoutMs: 20_000 }).then(async (lock) => {
        order.push(i);
        await lock.release();
      }),
    );
    await eventually(async () => (await locks.state('k')).waiters.length === 1, 5000, 'our one znode queued');
    await blocker.release();
    await Promise.all(all);
    sampling = false;
    await sampler;
    expect(maxOurs).toBe(1);
    expect(order).toEqual(Array.from({ length: 30 }, (_, i) => i));
  });

  it('timeout and abort delete our znode before rejecting', async () => {
    const root = '/giveup/locks';
    await using a = await connect(stack);
    await using b = await connect(stack);
    const holderLocks = new LockManager(a, { root });
    const holder = await holderLocks.acquire('k');
    const waiter = new LockManager(b, { root });

    const started = performance.now();
    await expect(waiter.acquire('k', { timeoutMs: 300 })).rejects.toBeInstanceOf(LockTimeoutError);
    expect(performance.now() - started).toBeGreaterThanOrEqual(290);
    expect((await waiter.state('k')).waiters).toEqual([]);

    const controller = new AbortController();
    setTimeout(() => controller.abort(new Error('user gave up')), 100);
    await expect(waiter.acquire('k', { signal: controller.signal, timeoutMs: 10_000 })).rejects.toBeInstanceOf(
      AbortError,
    );
    expect((await waiter.state('k')).waiters).toEqual([]);

    // a timeout that fires while our create is still in flight still deletes the node
    await expect(waiter.acquire('k', { timeoutMs: 0 })).rejects.toBeInstanceOf(LockTimeoutError);
    await expect(waiter.acquire('k', { signal: AbortSignal.abort() })).rejects.toBeInstanceOf(AbortError);
    expect((await waiter.state('k')).waiters).toEqual([]);

    await holder.release();
    await Promise.all([holderLocks.settled(), waiter.settled()]);
    expect(await childrenOf(observer, root)).toEqual([]);
  });

  it('empty key parents go right behind the last node with parentLingerMs: 0, else after the linger', async () => {
    await using zk = await connect(stack);
    const eager = new LockManager(zk, { root: '/linger/eager', parentLingerMs: 0 });
    await (await eager.acquire('k')).release();
    await eager.settled(); // release() does not wait for the deletes' answers
    expect(await childrenOf(observer, '/linger/eager')).toEqual([]);

    const lazy = new LockManager(zk, { root: '/linger/lazy', parentLingerMs: 300 });
    const released = performance.now();
    await (await lazy.acquire('k')).release();
    expect(await childrenOf(observer, '/linger/lazy')).toEqual(['k']); // kept for the next acquire
    await eventually(
      async () => (await childrenOf(observer, '/linger/lazy')).length === 0,
      2000,
      'parent deleted after the linger',
    );
    expect(performance.now() - released).toBeGreaterThanOrEqual(290);
  });

  it('deadlines longer than a timer can wait do not fire early; an endless linger keeps parents until settled()', async () => {
    // Node fires a setTimeout over 2^31-1 ms (and an infinite one) after 1 ms.
    await using zk = await connect(stack);
    const locks = new LockManager(zk, { root: '/long/locks', timeoutMs: 2 ** 31, parentLingerMs: Infinity });
    const lock = await locks.acquire('k');
    expect((await locks.state('k', { timeoutMs: 1e10 })).holder?.path).toBe(lock.path);
    expect((await locks.state('k', { timeoutMs: Infinity })).holder?.path).toBe(lock.path);
    await lock.release();
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(await childrenOf(observer, '/long/locks')).toEqual(['k']);
    await locks.settled();
    expect(await childrenOf(observer, '/long/locks')).toEqual([]);
  });

  it('a lost create reply finds our node by its uuid instead of creating a second one', async () => {
    const root = '/protected/locks';
    await using zk = await connect(stack);
    const seen: string[] = [];
    const hooks: LockTestHooks = {
      afterCreate(path: string) {
        seen.push(path);
        // the server made the node, then the reply "never arrived"
        if (seen.length === 1) throw new ConnectionError('zookeeper', 'simulated lost reply');
      },
    };
    const locks = new LockManager(zk, { root, [LOCK_TEST_HOOKS]: hooks } as LockManagerOptions);
    const lock = await locks.acquire('k');
    expect(seen).toHaveLength(1);
    expect(lock.path).toBe(seen[0]);
    expect(await childrenOf(observer, `${root}/k`)).toEqual([seen[0]!.split('/').pop()]);
    await lock.release();
    await locks.settled();
    expect(await childrenOf(observer, root)).toEqual([]);
  });

  it('a lost create reply whose search is lost too is searched for again before any second create', async () => {
    const root = '/protected-search-lost/locks';
    await using zk = await connect(stack);
    const created: string[] = [];
    let searches = 0;
    const hooks: LockTestHooks = {
      afterCreate(path: string) {
        created.push(path);
        if (created.length === 1) throw new ConnectionError('zookeeper', 'simulated lost reply');
      },
      beforeSearch() {
        searches += 1;
        if (searches === 1) throw new ConnectionError('zookeeper', 'simulated lost search');
        return undefined;
      },
    };
    const locks = new LockManager(zk, { root, [LOCK_TEST_HOOKS]: hooks } as LockManagerOptions);
    const lock = await locks.acquire('k', { timeoutMs: 3000 });
    expect(created).toHaveLength(1); // no second node: the repeated search found the first
    expect(lock.path).toBe(created[0]);
    expect(await childrenOf(observer, `${root}/k`)).toEqual([created[0]!.split('/').pop()]);
    await lock.release();
    await locks.settled();
    expect(await childrenOf(observer, root)).toEqual([]);
  });

  it('a node of ours that a search missed is deleted, never waited for (it would block the key for every process)', async () => {
    const root = '/protected-orphan/locks';
    await using zk = await connect(stack);
    await using other = await connect(stack);
    const created: string[] = [];
    const hooks: LockTestHooks = {
      afterCreate(path: string) {
        created.push(path);
        if (created.length === 1) throw new ConnectionError('zookeeper', 'simulated lost reply');
      },
      // served by a server that had not applied the create yet: the search sees nothing
      beforeSearch: () => 'missed',
    };
    const locks = new LockManager(zk, { root, [LOCK_TEST_HOOKS]: hooks } as LockManagerOptions);
    const lock = await locks.acquire('k', { timeoutMs: 3000 });
    expect(created).toHaveLength(2);
    expect(lock.path).toBe(created[1]);
    await eventually(
      async () => (await childrenOf(observer, `${root}/k`)).length === 1,
      3000,
      'the orphan (our first node) deleted',
    );
    expect(await childrenOf(observer, `${root}/k`)).toEqual([created[1]!.split('/').pop()]);
    // another process gets the key once we release: nothing of ours is left ahead of it
    await lock.release();
    const next = await new LockManager(other, { root }).acquire('k', { timeoutMs: 3000 });
    await next.release();
  });

  it('a contender that gives up after a lost create reply deletes its node even when the first searches fail', async () => {
    const root = '/protected-abandon/locks';
    await using zk = await connect(stack);
    await using holderZk = await connect(stack);
    const holder = await new LockManager(holderZk, { root }).acquire('k');
    const created: string[] = [];
    let searchesFail = true;
    const hooks: LockTestHooks = {
      afterCreate(path: string) {
        created.push(path);
        throw new ConnectionError('zookeeper', 'simulated lost reply');
      },
      beforeSearch() {
        if (searchesFail) throw new ConnectionError('zookeeper', 'simulated lost search');
        return undefined;
      },
    };
    const locks = new LockManager(zk, { root, [LOCK_TEST_HOOKS]: hooks } as LockManagerOptions);
    await expect(locks.acquire('k', { timeoutMs: 400 })).rejects.toBeInstanceOf(LockTimeoutError);
    expect(created).toHaveLength(1);
    expect((await childrenOf(observer, `${root}/k`)).length).toBe(2); // the holder's and our orphan
    searchesFail = false; // the connection is back
    await locks.settled();
    expect(await childrenOf(observer, `${root}/k`)).toEqual([holder.path.split('/').pop()]);
    await holder.release();
  });

  it('keys with "/", "..", spaces and Unicode lock separately and list back decoded', async () => {
    const root = '/odd-keys/locks';
    await using zk = await connect(stack);
    const locks = new LockManager(zk, { root, label: 'odd-keys-test' });
    const keys = ['a/b', '..', '.', 'with space', 'prix €/ünïcødé 🔒', '%2F', 'a/b/'];
    const held = await Promise.all(keys.map((key) => locks.acquire(key, { timeoutMs: 2000 })));
    const listed = await locks.list();
    expect(listed.map((s) => s.key).sort()).toEqual([...keys].sort());
    for (const state of listed) {
      expect(state.holder?.holder).toMatchObject({ pid: process.pid, label: 'odd-keys-test' });
      expect(state.holder?.sessionId).toBe(zk.sessionId);
      expect(state.waiters).toEqual([]);
    }
    expect(new Set(held.map((l) => l.path.split('/').length))).toEqual(new Set([5])); // one level per key
    await Promise.all(held.map((l) => l.release()));
    expect(await locks.list()).toEqual([]);
  });

  it('invalid keys throw InvalidKeyError and create nothing', async () => {
    const root = '/bad-keys/locks';
    await using zk = await connect(stack);
    const locks = new LockManager(zk, { root });
    for (const key of ['', '\uD800', 'x'.repeat(1025), 42 as unknown as string]) {
      await expect(locks.acquire(key)).rejects.toBeInstanceOf(InvalidKeyError);
    }
    expect(await (await observer.liveSession()).exists('/bad-keys')).toBeNull();
  });

  it('state() names holder and waiters with session, age and holder info', async () => {
    const root = '/state/locks';
    await using a = await connect(stack);
    await using b = await connect(stack);
    const holderLocks = new LockManager(a, { root, label: 'worker-A' });
    const waiterLocks = new LockManager(b, { root, label: 'worker-B' });
    const lock = await holderLocks.acquire('product:1');
    const waiting = waiterLocks.acquire('product:1');
    await eventually(async () => (await holderLocks.state('product:1')).waiters.length === 1, 3000, 'waiter queued');
    const state = await waiterLocks.state('product:1');
    expect(state.key).toBe('product:1');
    expect(state.holder).toMatchObject({
      path: lock.path,
      sessionId: a.sessionId,
      ephemeralOwner: `0x${a.sessionId!.replace(/^0+/, '')}`,
    });
    expect(state.holder!.holder).toMatchObject({
      pid: process.pid,
      label: 'worker-A',
      library: expect.stringMatching(/^zk-ordered-cache@/),
    });
    expect(state.waiters[0]!.sessionId).toBe(b.sessionId);
    expect(state.waiters[0]!.holder!.label).toBe('worker-B');
    expect(state.waiters[0]!.sequence).toBeGreaterThan(state.holder!.sequence);
    expect(Math.abs(state.holder!.createdAt.getTime() - lock.acquiredAt.getTime())).toBeLessThan(2000);
    expect(state.holder!.ageMs).toBeGreaterThanOrEqual(0);
    await lock.release();
    const second = await waiting;
    await second.release();
    expect(await holderLocks.state('product:1')).toEqual({ key: 'product:1', waiters: [] });
  });
});
