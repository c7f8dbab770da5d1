import { monitorEventLoopDelay } from 'node:perf_hooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StartedStack } from '../../src/testing/index.js';
import { LockManager } from '../../src/zookeeper/index.js';
import { needs, startTestStack } from '../support/stack.js';
import { connect, lockLost, reachesState } from './helpers.js';

const faults = needs('faults', 'pauses or restarts ZooKeeper');

let stack: StartedStack;

beforeAll(async () => {
  stack = await startTestStack();
});
afterAll(async () => {
  await stack?.zookeeper.resume();
  await stack?.stop();
});

describe('session handling', () => {
  it('expiry aborts lock.signal with session-expired, and the next acquire works on a new session', async () => {
    // Forcing expiry makes the server drop our connection, and node-zookeeper-client waits up to
    // 1 s (spinDelay) per reconnect before it hears "expired"; with a short session our own silence
    // clock can legitimately win that race ('session-lost'). A long session keeps this test about
    // the server's verdict.
    await using zk = await connect(stack, { sessionTimeoutMs: 8000 });
    const locks = new LockManager(zk, { root: '/expiry/locks' });
    const lock = await locks.acquire('k');
    const firstSession = zk.sessionId;
    const { sessionId, password } = zk.sessionCredentials();
    await stack.expireSession(sessionId, password);
    const lost = await lockLost(lock.signal, 15_000);
    expect(lost.reason).toBe('session-expired');
    const next = await locks.acquire('k', { timeoutMs: 5000 });
    expect(next.sessionId).not.toBe(firstSession);
    expect((await locks.state('k')).holder?.path).toBe(next.path);
    await lock.release(); // releasing a lost lock is a no-op that does not throw
    await next.release();
  });

  it(
    'a server paused past the session timeout: session-lost within the bound, new session after resume',
    faults,
    async () => {
      await using zk = await connect(stack, { sessionTimeoutMs: 2000, connectTimeoutMs: 1000 });
      const locks = new LockManager(zk, { root: '/pause-long/locks' });
      const lock = await locks.acquire('k');
      const firstSession = zk.sessionId;
      // A timer cannot fire before this process runs again: on a loaded machine the clock's own
      // timer comes late by the event loop's delay, which is measured here and added to the bound.
      const loopDelay = monitorEventLoopDelay({ resolution: 10 });
      loopDelay.enable();
      const pausedAt = performance.now();
      await stack.zookeeper.pause();
      try {
        // declared lost at most sessionTimeoutMs after the last answered request was sent
        const lost = await lockLost(lock.signal, 2000 + 1000);
        const elapsed = performance.now() - pausedAt;
        loopDelay.disable();
        expect(lost.reason).toBe('session-lost');
        expect(elapsed).toBeLessThanOrEqual(2000 + 300 + loopDelay.max / 1e6);
        expect(zk.state).toBe('lost');
      } finally {
        await stack.zookeeper.resume();
      }
      const next = await locks.acquire('k', { timeoutMs: 10_000 });
      expect(next.sessionId).not.toBe(firstSession);
      await next.release();
    },
  );

  it('a pause shorter than the session timeout keeps the lock', faults, async () => {
    await using zk = await connect(stack, { sessionTimeoutMs: 3000 });
    const locks = new LockManager(zk, { root: '/pause-short/locks' });
    const lock = await locks.acquire('k');
    await stack.zookeeper.pause();
    await new Promise((resolve) => setTimeout(resolve, 800)); // the fault itself: a short freeze
    await stack.zookeeper.resume();
    // a round trip after the resume proves the session answered again
    const other = await locks.acquire('other-key');
    await other.release();
    expect(lock.signal.aborted).toBe(false);
    expect((await locks.state('k')).holder?.path).toBe(lock.path);
    await lock.release();
  });

  it('a ZooKeeper restart shorter than the session timeout keeps the lock', faults, async () => {
    await using zk = await connect(stack, { sessionTimeoutMs: 6000 });
    const locks = new LockManager(zk, { root: '/restart/locks' });
    const lock = await locks.acquire('k');
    const session = zk.sessionId;
    const restartedAt = performance.now();
    await stack.zookeeper.restart();
    expect(performance.now() - restartedAt).toBeLessThan(5000);
    await reachesState(zk, 'connected', 5000);
    expect(zk.sessionId).toBe(session);
    expect(lock.signal.aborted).toBe(false);
    expect((await locks.state('k')).holder?.path).toBe(lock.path);
    await lock.release();
    expect((await locks.state('k')).holder).toBeUndefined();
  });

  it('lostOn: "suspended" aborts held locks as soon as the connection drops', faults, async () => {
    await using zk = await connect(stack, { sessionTimeoutMs: 6000 });
    const locks = new LockManager(zk, { root: '/suspended/locks', lostOn: 'suspended' });
    const lock = await locks.acquire('k');
    await stack.zookeeper.restart();
    const lost = await lockLost(lock.signal, 5000);
    expect(lost.reason).toBe('connection-suspended');
    await reachesState(zk, 'connected', 5000);
    await lock.release(); // the session survived, so release still deletes the node
    expect((await locks.state('k')).holder).toBeUndefined();
  });
});
