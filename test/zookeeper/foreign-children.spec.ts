import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StartedStack } from '../../src/testing/index.js';
import { zookeeperModule } from '../../src/zookeeper/client-module.js';
import { LockManager, type ZooKeeperConnection } from '../../src/zookeeper/index.js';
import { startTestStack } from '../support/stack.js';
import { connect } from './helpers.js';

// Under the default open ACL anyone can create nodes under the lock root. A persistent node named
// like a contender never goes away on its own: queueing behind it would block the key forever.
const { CreateMode } = zookeeperModule;
const IMPOSTOR = '_c_00000000-0000-0000-0000-000000000000-lock-0000000000';

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

/** Creates persistent nodes from an unrelated session, as anyone may under an open ACL. */
async function plant(parentPath: string, names: string[]): Promise<void> {
  const session = await intruder.liveSession();
  await session.mkdirp(parentPath);
  for (const name of names) await session.create(`${parentPath}/${name}`, null, CreateMode.PERSISTENT);
}

describe('children under a key that are not our ephemeral contenders', () => {
  it('a persistent contender-named node does not block the key; it and a malformed name are reported', async () => {
    const root = '/foreign/locks';
    await plant(`${root}/k`, [IMPOSTOR, 'junk']);
    await using zk = await connect(stack);
    const locks = new LockManager(zk, { root });
    const reported: [string, string, string][] = [];
    locks.on('foreign-node', (key, path, why) => reported.push([key, path, why]));

    const lock = await locks.acquire('k', { timeoutMs: 2000 });
    expect(reported.sort()).toEqual([
      ['k', `${root}/k/${IMPOSTOR}`, 'persistent'],
      ['k', `${root}/k/junk`, 'malformed'],
    ]);
    // state() shows the real holder, not the impostor
    const state = await locks.state('k');
    expect(state.holder?.path).toBe(lock.path);
    expect(state.waiters).toEqual([]);
    await lock.release();

    // reported once per node, not on every acquire
    await (await locks.acquire('k', { timeoutMs: 2000 })).release();
    expect(reported).toHaveLength(2);
  });

  it('a persistent node between two waiters is skipped: the later one watches the earlier', async () => {
    const root = '/foreign-middle/locks';
    await using a = await connect(stack);
    await using b = await connect(stack);
    const holderLocks = new LockManager(a, { root });
    const holder = await holderLocks.acquire('k');
    // sequence numbers come from the parent's child counter: the next contender gets a higher one
    const seq = Number(holder.path.slice(-10)) + 1;
    await plant(`${root}/k`, [`_c_00000000-0000-0000-0000-000000000000-lock-${String(seq).padStart(10, '0')}`]);
    const waiter = new LockManager(b, { root });
    const waiting = waiter.acquire('k', { timeoutMs: 3000 });
    await new Promise((resolve) => setTimeout(resolve, 200));
    await holder.release();
    const lock = await waiting;
    expect((await waiter.state('k')).holder?.path).toBe(lock.path);
    await lock.release();
  });
});
