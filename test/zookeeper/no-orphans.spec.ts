import { describe, expect, it } from 'vitest';
import { LockManager } from '../../src/zookeeper/index.js';
import { useStack } from '../support/stack.js';
import { childrenOf, connect } from './helpers.js';

const stack = useStack({ zookeeper: { fsync: false } });

describe('no orphans', () => {
  it('after 10,000 lock/unlock cycles on 1,000 keys (two contending sessions) the root has no children', async () => {
    const root = '/orphans/locks';
    await using a = await connect(stack());
    await using b = await connect(stack());
    const managers = [new LockManager(a, { root }), new LockManager(b, { root })];
    let cycles = 0;
    const started = performance.now();
    await Promise.all(
      Array.from({ length: 1000 }, async (_, k) => {
        // both sessions hammer the same key so parents are deleted and re-created under contention
        await Promise.all(
          managers.map(async (locks) => {
            for (let i = 0; i < 5; i++) {
              const lock = await locks.acquire(`key-${k}`, { timeoutMs: 30_000 });
              cycles++;
              await lock.release();
            }
          }),
        );
      }),
    );
    const elapsedMs = performance.now() - started;
    expect(cycles).toBe(10_000);
    await Promise.all(managers.map((m) => m.settled()));
    expect(await childrenOf(a, root)).toEqual([]);
    expect(elapsedMs).toBeLessThan(60_000);
  }, 90_000);
});
