import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StartedStack } from '../../src/testing/index.js';
import { zookeeperModule } from '../../src/zookeeper/client-module.js';
import { LockManager, type ZooKeeperConnection } from '../../src/zookeeper/index.js';
import { isZkError } from '../../src/zookeeper/zk-session.js';
import { needs, startTestStack } from '../support/stack.js';
import { childrenOf, connect } from './helpers.js';

/**
 * `release()` sends the delete and resolves without waiting for ZooKeeper's answer; `settled()` is
 * the way to wait for it (docs/design.md, "Release without waiting").
 */

const faults = needs('faults', 'pauses ZooKeeper');

let stack: StartedStack;
let observer: ZooKeeperConnection;

beforeAll(async () => {
  stack = await startTestStack();
  observer = await connect(stack);
});
afterAll(async () => {
  await observer?.close();
  await stack?.zookeeper.resume();
  await stack?.stop();
});

const sleep = (ms: number): Promise<string> => new Promise((resolve) => setTimeout(() => resolve('still waiting'), ms));

interface RawSetAcl {
  setACL(path: string, acls: unknown[], version: number, cb: (error: Error | null) => void): void;
}

describe('release() without waiting for the delete', () => {
  it('resolves while the server cannot answer; settled() resolves once the node is gone', faults, async () => {
    const root = '/release/paused';
    await using zk = await connect(stack);
    const locks = new LockManager(zk, { root });
    const lock = await locks.acquire('k');
    const parent = lock.path.slice(0, lock.path.lastIndexOf('/'));
    let phase: 'paused' | 'resumed' = 'paused';
    let settled: Promise<string> | undefined;
    await stack.zookeeper.pause();
    try {
      // before: release() waited for the delete's reply, which a paused server never sends
      expect(await Promise.race([lock.release().then(() => 'released'), sleep(1000)])).toBe('released');
      expect(lock.released).toBe(true);
      expect(locks.heldCount).toBe(0);
      settled = locks.settled().then(() => phase);
      await sleep(200);
    } finally {
      phase = 'resumed';
      await stack.zookeeper.resume();
    }
    expect(await settled).toBe('resumed');
    expect(await childrenOf(observer, parent)).toEqual([]);
  });

  it('the next acquire of the key in this process goes out right behind the delete and finds the key free', async () => {
    const root = '/release/pipelined';
    await using zk = await connect(stack);
    const locks = new LockManager(zk, { root });
    const first = await locks.acquire('k');
    await first.release();
    const second = await locks.acquire('k', { timeoutMs: 2000 });
    expect(second.path).not.toBe(first.path);
    const parent = second.path.slice(0, second.path.lastIndexOf('/'));
    expect(await childrenOf(observer, parent)).toEqual([second.path.slice(parent.length + 1)]);
    await second.release();
    await locks.settled();
    expect(await childrenOf(observer, parent)).toEqual([]);
  });

  it('our own delete is not reported as node-deleted by the own-node watch', async () => {
    const root = '/release/own-watch';
    await using zk = await connect(stack);
    const locks = new LockManager(zk, { root });
    const lock = await locks.acquire('k');
    const { signal } = lock; // sends the own-node watch
    expect((await locks.state('k')).holder?.path).toBe(lock.path); // same session: the watch is set by now
    await lock.release();
    await locks.settled(); // the watch has fired by now: the delete's reply follows its event
    expect(signal.aborted).toBe(false);
  });

  it('a refused delete (NO_AUTH) is reported by release-failed, not lost', async () => {
    const root = '/release/refused';
    await using zk = await connect(stack);
    const locks = new LockManager(zk, { root });
    const failures: { key: string; path: string; error: unknown }[] = [];
    locks.on('release-failed', (key, path, error) => failures.push({ key, path, error }));
    const lock = await locks.acquire('k');
    const parent = lock.path.slice(0, lock.path.lastIndexOf('/'));
    // an operator takes DELETE away on the key's parent: our node's delete is refused
    const { ACL, Id, Permission } = zookeeperModule;
    const noDelete = [new ACL(Permission.READ | Permission.CREATE | Permission.ADMIN, new Id('world', 'anyone'))];
    const raw = (await observer.liveSession()) as unknown as { client: RawSetAcl };
    await new Promise<void>((resolve, reject) =>
      raw.client.setACL(parent, noDelete, -1, (error) => (error ? reject(error) : resolve())),
    );
    await lock.release(); // resolves: the refusal comes later
    await locks.settled();
    expect(failures).toHaveLength(1);
    expect(failures[0]!.key).toBe('k');
    expect(failures[0]!.path).toBe(lock.path);
    expect(isZkError(failures[0]!.error, 'NO_AUTH')).toBe(true);
  });
});
