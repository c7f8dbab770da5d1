import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StartedStack } from '../../src/testing/index.js';
import { LockManager, type ZooKeeperConnection } from '../../src/zookeeper/index.js';
import { startTestStack } from '../support/stack.js';
import { connect, eventually, lockLost } from './helpers.js';

let stack: StartedStack;
let intruder: ZooKeeperConnection;

beforeAll(async () => {
  stack = await startTestStack();
  intruder = await connect(stack);
});
afterAll(async () => {
  await intruder?.close();
  await stack?.stop();
});

interface RawSetData {
  setData(path: string, data: Buffer, version: number, cb: (error: Error | null) => void): void;
}

/** Deletes `path` from a second, unrelated session (an operator's `deleteall`, a buggy tool). */
async function deleteFromOutside(path: string): Promise<void> {
  const session = await intruder.liveSession();
  await session.remove(path);
}

describe('our own znode deleted by someone else', () => {
  it('while held: lock.signal aborts with node-deleted within 100 ms, and the key is free again', async () => {
    const root = '/lost-node/held';
    await using zk = await connect(stack);
    const locks = new LockManager(zk, { root });
    const lock = await locks.acquire('k');
    await deleteFromOutside(lock.path);
    const lost = await lockLost(lock.signal, 100);
    expect(lost.reason).toBe('node-deleted');
    expect(lost.key).toBe('k');
    expect(locks.heldCount).toBe(0);
    // the key is free: the next acquire in this process does not wait for the lost lock's release
    const next = await locks.acquire('k', { timeoutMs: 2000 });
    expect(next.path).not.toBe(lock.path);
    await lock.release(); // releasing a lost lock does not throw, nor touch the new holder's node
    expect((await locks.state('k')).holder?.path).toBe(next.path);
    await next.release();
  });

  it("a change of the predecessor's data does not hand the lock on; only its deletion does", async () => {
    const root = '/lost-node/data-change';
    await using holderZk = await connect(stack);
    await using waiterZk = await connect(stack);
    const holder = await new LockManager(holderZk, { root }).acquire('k');
    const waiter = new LockManager(waiterZk, { root });
    let acquired = false;
    const waiting = waiter.acquire('k', { timeoutMs: 10_000 }).then((lock) => {
      acquired = true;
      return lock;
    });
    await eventually(async () => (await waiter.state('k')).waiters.length === 1, 5000, 'the waiter queued');
    await new Promise((resolve) => setTimeout(resolve, 100)); // its watch on the holder's node is set
    const session = await intruder.liveSession();
    const raw = (session as unknown as { client: RawSetData }).client;
    await new Promise<void>((resolve, reject) =>
      raw.setData(holder.path, Buffer.from('{}'), -1, (error) => (error ? reject(error) : resolve())),
    );
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(acquired).toBe(false);
    expect((await waiter.state('k')).holder?.path).toBe(holder.path);
    await holder.release();
    const lock = await waiting;
    await lock.release();
  });

  it('a normal release is not reported as a loss', async () => {
    await using zk = await connect(stack);
    const locks = new LockManager(zk, { root: '/lost-node/released' });
    const lock = await locks.acquire('k');
    const signal = lock.signal;
    await lock.release();
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(signal.aborted).toBe(false);
  });

  it('while queued: the waiter re-creates its node at the back of the queue and says so in an event', async () => {
    const root = '/lost-node/queued';
    await using holderZk = await connect(stack);
    await using waiterZk = await connect(stack);
    const holder = await new LockManager(holderZk, { root }).acquire('k');
    const waiter = new LockManager(waiterZk, { root });
    const recreated: { key: string; path: string }[] = [];
    waiter.on('node-recreated', (key, path) => recreated.push({ key, path }));
    const waiting = waiter.acquire('k', { timeoutMs: 10_000 });
    let queuedPath: string | undefined;
    await eventually(
      async () => {
        queuedPath = (await waiter.state('k')).waiters[0]?.path;
        return queuedPath !== undefined;
      },
      5000,
      'the waiter queued',
    );
    await deleteFromOutside(queuedPath!);
    await eventually(() => recreated.length === 1, 1000, 'the waiter reported its re-created node');
    expect(recreated).toEqual([{ key: 'k', path: queuedPath }]);
    const state = await waiter.state('k');
    expect(state.holder?.path).toBe(holder.path);
    expect(state.waiters).toHaveLength(1);
    expect(state.waiters[0]!.path).not.toBe(queuedPath);
    await holder.release();
    const lock = await waiting;
    expect(lock.path).toBe(state.waiters[0]!.path);
    await lock.release();
  });
});
