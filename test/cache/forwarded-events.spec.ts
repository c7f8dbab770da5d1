import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OrderedCache } from '../../src/cache/ordered-cache.js';
import { zookeeperModule } from '../../src/zookeeper/client-module.js';
import type { ZooKeeperConnection } from '../../src/zookeeper/index.js';
import { keyParentPath } from '../../src/zookeeper/lock-paths.js';
import { isZkError } from '../../src/zookeeper/zk-session.js';
import { useStack } from '../support/stack.js';
import { connect, eventually } from '../zookeeper/helpers.js';
import { deferred, openCache } from './fixture.js';

// The lock manager's and the ZooKeeper connection's reports reach cache.events, with a real ZooKeeper
// and a second, unrelated session doing what an operator or a stray tool might.
interface RawSetAcl {
  setACL(path: string, acls: unknown[], version: number, cb: (error: Error | null) => void): void;
}

describe('cache.events forwards node-recreated, foreign-node, release-failed and session-state', () => {
  const stack = useStack();
  let intruder: ZooKeeperConnection;
  let cache: OrderedCache<number>;

  beforeAll(async () => {
    intruder = await connect(stack());
    cache = await openCache<number>(stack());
  });
  afterAll(async () => {
    await cache?.close();
    await intruder?.close();
  });

  it('foreign-node: a persistent child under a key’s lock parent is reported, and the get still loads', async () => {
    const parent = keyParentPath(cache.locks.lockRoot, 'planted');
    const session = await intruder.liveSession();
    await session.mkdirp(parent);
    await session.create(`${parent}/junk`, null, zookeeperModule.CreateMode.PERSISTENT);
    const seen: unknown[] = [];
    cache.events.on('foreign-node', (e) => seen.push(e));
    expect(await cache.get('planted', async () => ({ value: 1, timestamp: 1n }))).toBe(1);
    expect(seen).toEqual([{ key: 'planted', path: `${parent}/junk`, reason: 'malformed' }]);
  });

  it('node-recreated: a queued waiter’s node deleted from outside is reported with its path', async () => {
    const holder = await openCache<number>(stack(), { namespace: cache.namespace });
    try {
      const release = deferred();
      const held = holder.withLock('queued', () => release.promise);
      await eventually(async () => (await cache.locks.state('queued')).holder !== undefined, 5_000, 'held');
      const seen: { key: string; deletedPath: string }[] = [];
      cache.events.on('node-recreated', (e) => seen.push(e));
      const waiting = cache.get('queued', async () => ({ value: 2, timestamp: 2n }));
      let queuedPath: string | undefined;
      await eventually(
        async () => {
          queuedPath = (await cache.locks.state('queued')).waiters[0]?.path;
          return queuedPath !== undefined;
        },
        5_000,
        'the get queued for the lock',
      );
      await (await intruder.liveSession()).remove(queuedPath!);
      await eventually(() => seen.length === 1, 2_000, 'node-recreated on cache.events');
      expect(seen).toEqual([{ key: 'queued', deletedPath: queuedPath }]);
      release.resolve();
      await held;
      expect(await waiting).toBe(2);
    } finally {
      await holder.close();
    }
  });

  it('release-failed: a lock whose delete is refused (NO_AUTH) is reported on cache.events, with its path', async () => {
    const seen: { key: string; path: string; error: unknown }[] = [];
    cache.events.on('release-failed', (e) => seen.push(e));
    let heldPath = '';
    await cache.withLock('refused', async (lock) => {
      heldPath = lock.path;
      // an operator takes DELETE away on the key's parent while the lock is held
      const { ACL, Id, Permission } = zookeeperModule;
      const noDelete = [new ACL(Permission.READ | Permission.CREATE | Permission.ADMIN, new Id('world', 'anyone'))];
      const raw = (await intruder.liveSession()) as unknown as { client: RawSetAcl };
      const parent = keyParentPath(cache.locks.lockRoot, 'refused');
      await new Promise<void>((resolve, reject) =>
        raw.client.setACL(parent, noDelete, -1, (error) => (error ? reject(error) : resolve())),
      );
    });
    await cache.locks.settled();
    expect(seen.map((e) => [e.key, e.path])).toEqual([['refused', heldPath]]);
    expect(isZkError(seen[0]!.error, 'NO_AUTH')).toBe(true);
  });

  it('session-state: closing the cache reports connected → closed', async () => {
    const closing = await openCache<number>(stack());
    const seen: unknown[] = [];
    closing.events.on('session-state', (e) => seen.push(e));
    await closing.close();
    expect(seen).toEqual([{ state: 'closed', previous: 'connected' }]);
  });
});
