import { createServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ClosedError, ConnectionError, InvalidOptionsError } from '../../src/errors.js';
import type { StartedStack } from '../../src/testing/index.js';
import { LockManager, ZooKeeperConnection } from '../../src/zookeeper/index.js';
import { needs, startTestStack } from '../support/stack.js';
import { connect } from './helpers.js';

const faults = needs('faults', 'pauses ZooKeeper');

let stack: StartedStack;

beforeAll(async () => {
  stack = await startTestStack();
});
afterAll(async () => {
  await stack?.zookeeper.resume();
  await stack?.stop();
});

async function portNobodyListensOn(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('bounded connect and close', () => {
  it('a refused address rejects with ConnectionError at once, saying ECONNREFUSED (not after connectTimeoutMs)', async () => {
    const port = await portNobodyListensOn();
    const started = performance.now();
    const error = await ZooKeeperConnection.connect({
      connectString: `127.0.0.1:${port}`,
      connectTimeoutMs: 500,
    }).catch((e: unknown) => e);
    const elapsed = performance.now() - started;
    expect(error).toBeInstanceOf(ConnectionError);
    expect((error as ConnectionError).message).toContain('ECONNREFUSED');
    expect(elapsed).toBeLessThan(400);
  });

  it('a paused (silent) server rejects connect with ConnectionError within connectTimeoutMs', faults, async () => {
    await stack.zookeeper.pause();
    try {
      const started = performance.now();
      await expect(
        ZooKeeperConnection.connect({ connectString: stack.zookeeper.connectString, connectTimeoutMs: 500 }),
      ).rejects.toBeInstanceOf(ConnectionError);
      expect(performance.now() - started).toBeLessThan(900);
    } finally {
      await stack.zookeeper.resume();
    }
  });

  it('bad options are rejected before connecting', async () => {
    await expect(ZooKeeperConnection.connect({ connectString: '' })).rejects.toBeInstanceOf(InvalidOptionsError);
    await expect(ZooKeeperConnection.connect({ connectString: '127.0.0.1:1', sessionTimeoutMs: -1 })).rejects.toThrow(
      /sessionTimeoutMs/,
    );
    await using zk = await connect(stack);
    expect(() => new LockManager(zk, { root: 'relative/path' })).toThrow(InvalidOptionsError);
    expect(() => new LockManager(zk, { root: '/a/../b' })).toThrow(/root/);
    await expect(new LockManager(zk, { root: '/x' }).acquire('k', { timeoutMs: -5 })).rejects.toThrow(/timeoutMs/);
  });

  it('close() ends the session: our nodes vanish at once and later calls throw ClosedError', async () => {
    await using observer = await connect(stack);
    const zk = await connect(stack);
    const locks = new LockManager(zk, { root: '/close/locks' });
    const lock = await locks.acquire('k');
    const waiter = new LockManager(observer, { root: '/close/locks' }).acquire('k', { timeoutMs: 3000 });
    await zk.close();
    expect(zk.state).toBe('closed');
    expect(lock.signal.reason).toMatchObject({ code: 'E_LOCK_LOST', reason: 'closed' });
    // the observer gets the lock long before the 4 s session timeout could have expired the session
    const started = performance.now();
    const next = await waiter;
    expect(performance.now() - started).toBeLessThan(1000);
    await next.release();
    await expect(locks.acquire('k')).rejects.toBeInstanceOf(ClosedError);
    await zk.close(); // idempotent
  });
});
