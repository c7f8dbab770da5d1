import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StartedStack } from '../../src/testing/index.js';
import { LockManager, type ZooKeeperConnection } from '../../src/zookeeper/index.js';
import type { ZkSession } from '../../src/zookeeper/zk-session.js';
import { startTestStack } from '../support/stack.js';
import { childrenOf, connect } from './helpers.js';

/**
 * A release and the next contender create of the same key on the same session leave as one multi
 * (docs/design.md, "Release and re-create in one transaction").
 */

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

interface RawTransaction {
  create(path: string, ...rest: unknown[]): RawTransaction;
  remove(path: string, version: number): RawTransaction;
  commit(cb: unknown): void;
}
interface SpiedClient {
  remove(path: string, ...rest: unknown[]): void;
  transaction(): RawTransaction;
}

/** Records the session's deletes and multis as they are handed to node-zookeeper-client. */
function spyWrites(session: ZkSession): string[] {
  const seen: string[] = [];
  const client = (session as unknown as { client: SpiedClient }).client;
  const remove = client.remove.bind(client);
  client.remove = (path, ...rest) => {
    seen.push(`remove ${path}`);
    remove(path, ...rest);
  };
  const transaction = client.transaction.bind(client);
  client.transaction = () => {
    const tx = transaction();
    const ops: string[] = [];
    const create = tx.create.bind(tx);
    const txRemove = tx.remove.bind(tx);
    tx.create = (path, ...rest) => {
      ops.push(`create ${path}`);
      return create(path, ...rest);
    };
    tx.remove = (path, version) => {
      ops.push(`remove ${path}`);
      return txRemove(path, version);
    };
    const commit = tx.commit.bind(tx);
    tx.commit = (cb) => {
      seen.push(`multi [${ops.join(', ')}]`);
      commit(cb);
    };
    return tx;
  };
  return seen;
}

const parentOf = (path: string): string => path.slice(0, path.lastIndexOf('/'));

describe('release and re-create in one transaction', () => {
  it('a release and the next acquire of the key on the session travel as one multi, delete first', async () => {
    await using zk = await connect(stack);
    const locks = new LockManager(zk, { root: '/fused/one-multi' });
    const first = await locks.acquire('k');
    const seen = spyWrites(await zk.liveSession());
    await first.release();
    const second = await locks.acquire('k', { timeoutMs: 2000 });
    const parent = parentOf(second.path);
    // before: `remove <first>`, then the create alone
    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatch(new RegExp(`^multi \\[remove ${first.path}, create ${parent}/_c_[0-9a-f-]{36}-lock-\\]$`));
    expect(await childrenOf(observer, parent)).toEqual([second.path.slice(parent.length + 1)]);
    await second.release();
    await locks.settled();
    expect(seen[1]).toBe(`remove ${second.path}`); // nothing to ride with: sent alone at the end of the turn
    expect(await childrenOf(observer, parent)).toEqual([]);
  });

  it('a release whose node is already gone: the multi applies nothing and the acquire creates its node alone', async () => {
    await using zk = await connect(stack);
    const locks = new LockManager(zk, { root: '/fused/gone' });
    const failures: unknown[] = [];
    locks.on('release-failed', (_key, _path, error) => failures.push(error));
    const first = await locks.acquire('k');
    const parent = parentOf(first.path);
    await (await observer.liveSession()).remove(first.path); // someone else deletes our node
    const seen = spyWrites(await zk.liveSession());
    await first.release();
    const second = await locks.acquire('k', { timeoutMs: 2000 }); // before: rejected (nothing created)
    expect(seen[0]).toMatch(/^multi \[remove /);
    expect(seen[1]).toBeUndefined(); // the create went alone, no further delete
    expect(await childrenOf(observer, parent)).toEqual([second.path.slice(parent.length + 1)]);
    await second.release();
    await locks.settled();
    expect(failures).toEqual([]); // NO_NODE: the node was gone, which is what the delete wanted
  });

  it('nothing overtakes a held delete: a read sent right after release() on the session sees the node gone', async () => {
    await using zk = await connect(stack);
    const locks = new LockManager(zk, { root: '/fused/order' });
    const session = await zk.liveSession();
    const lock = await locks.acquire('k');
    const parent = parentOf(lock.path);
    void lock.release();
    // same turn, same session: had the held delete waited for the end of the turn, this listing
    // would have been answered first and still shown the node
    expect(await session.getChildren(parent)).toEqual([]);
  });
});
