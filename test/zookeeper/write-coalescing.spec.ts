import { describe, expect, it } from 'vitest';
import { LockManager } from '../../src/zookeeper/index.js';
import type { ZkSession } from '../../src/zookeeper/zk-session.js';
import { useStack } from '../support/stack.js';
import { connect } from './helpers.js';

const stack = useStack({ zookeeper: { fsync: false } });

interface SpiedSocket {
  _write: (...args: unknown[]) => void;
  _writev: (...args: unknown[]) => void;
}

/**
 * Counts the writes the session's socket hands to the kernel (one `_write` per lone chunk, one
 * `_writev` per corked batch). Reaches into node-zookeeper-client's connection, as ZkSession does.
 */
function countSocketWrites(session: ZkSession): { readonly writes: number } {
  const socket = (session as unknown as { client: { connectionManager: { socket: SpiedSocket } } }).client
    .connectionManager.socket;
  const counter = { writes: 0 };
  for (const method of ['_write', '_writev'] as const) {
    const original = socket[method].bind(socket);
    socket[method] = (...args: unknown[]) => {
      counter.writes++;
      original(...args);
    };
  }
  return counter;
}

describe('write coalescing', () => {
  it('requests made in one turn leave in one socket write, in order, each answered', async () => {
    await using zk = await connect(stack());
    const session = await zk.liveSession();
    await session.mkdirp('/coalesce/batch');
    const counter = countSocketWrites(session);
    const paths = await Promise.all(
      Array.from({ length: 20 }, () => session.create('/coalesce/batch/n-', null, 2 /* PERSISTENT_SEQUENTIAL */)),
    );
    expect(counter.writes).toBe(1);
    const sequences = paths.map((path) => Number(path.slice(-10)));
    expect(sequences).toEqual([...sequences].sort((a, b) => a - b)); // sent (and created) in call order
    expect(new Set(sequences).size).toBe(20);
  });

  it('an uncontended acquire sends its create and listing in one write; a release and the next acquire, one write', async () => {
    await using zk = await connect(stack());
    const locks = new LockManager(zk, { root: '/coalesce/locks' });
    await (await locks.acquire('warm')).release(); // the key's parent exists from here on
    await locks.settled();
    const counter = countSocketWrites(await zk.liveSession());
    const lock = await locks.acquire('warm');
    expect(counter.writes).toBe(1);
    // release() does not wait for the delete: the next cycle's create and listing join its write
    await lock.release();
    const next = await locks.acquire('warm', { timeoutMs: 2000 });
    expect(counter.writes).toBe(2);
    await next.release();
  });
});
