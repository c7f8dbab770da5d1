import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OrderedCache } from '../../src/index.js';
import type { StartedStack } from '../../src/testing/index.js';
import { startTestStack } from '../support/stack.js';
import { spawnZkoc } from './run-zkoc.js';

const NAMESPACE = 'cli-signals';

// A zkoc queued behind a holder, then stopped: its session must be closed on the way out, so its
// contender znode is gone the moment it exits (not one session timeout later, when it would have
// become the holder of a dead process).
describe('zkoc stopped by a signal while queued for a lock', () => {
  let stack: StartedStack;
  let holder: OrderedCache;
  let connection: string[];

  beforeAll(async () => {
    stack = await startTestStack();
    holder = await OrderedCache.connect({
      zookeeper: { connectString: stack.zookeeper.connectString },
      redis: stack.redis.url,
      namespace: NAMESPACE,
    });
    connection = ['--zk', stack.zookeeper.connectString, '--redis', stack.redis.url, '-n', NAMESPACE];
  });
  afterAll(async () => {
    await holder?.close();
    await stack?.stop();
  });

  const cases = [
    { command: ['set', 'product:1', '{"price":50}', '--ts', '7'], signal: 'SIGINT', code: 130 },
    { command: ['invalidate', 'product:2', '--ts', '7'], signal: 'SIGINT', code: 130 },
    { command: ['set', 'product:3', '42', '--ts', '7'], signal: 'SIGTERM', code: 143 },
    { command: ['invalidate', 'product:4', '--ts', '7'], signal: 'SIGHUP', code: 129 },
  ] as const;

  for (const { command, signal, code } of cases) {
    it(`${command[0]} + ${signal}: exits ${code} within a second and leaves no znode behind`, async () => {
      const key = command[1];
      const lock = await holder.locks.acquire(key);
      try {
        // --timeout-ms 20000: without the fix its session would outlive the test by 40 s
        const zkoc = spawnZkoc([...command, ...connection, '--timeout-ms', '20000']);
        const deadline = performance.now() + 15_000;
        while ((await holder.locks.state(key)).waiters.length === 0) {
          if (performance.now() > deadline) throw new Error(`zkoc never queued; stderr: ${zkoc.stderr()}`);
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
        const waiter = (await holder.locks.state(key)).waiters[0];
        expect(waiter?.holder?.label).toBe('zkoc');

        const sentAt = performance.now();
        const exitCode = await zkoc.stop(signal);
        const exitMs = performance.now() - sentAt;

        const after = await holder.locks.state(key);
        expect({ exitCode, waiters: after.waiters.length, stderr: zkoc.stderr() }).toEqual({
          exitCode: code,
          waiters: 0,
          stderr: '',
        });
        expect(exitMs).toBeLessThan(1_000);
      } finally {
        await lock.release();
      }
      // Released: nobody, dead or alive, takes the lock over.
      expect((await holder.locks.state(key)).holder).toBeUndefined();
    });
  }
});
