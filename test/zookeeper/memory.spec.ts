import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { LockManager } from '../../src/zookeeper/index.js';
import { useStack } from '../support/stack.js';
import { connect } from './helpers.js';

// A full collection before each heap reading, so the numbers are what is still reachable.
setFlagsFromString('--expose-gc');
const collectGarbage = runInNewContext('gc') as () => void;

const stack = useStack({ zookeeper: { fsync: false } });

describe('memory', () => {
  // Regression: every acquire raced a shared "session ended" promise that lives as long as the
  // session, so each cycle's reactions (its node name, the children listing) stayed reachable:
  // about 1 KB per cycle, 12 MB over the 12,800 cycles measured here, without bound.
  it('a long-lived session does not accumulate memory per lock cycle', async () => {
    await using zk = await connect(stack());
    const locks = new LockManager(zk, { root: '/memory/locks' });
    const cycles = async (perKey: number) =>
      Promise.all(
        Array.from({ length: 64 }, async (_, k) => {
          for (let i = 0; i < perKey; i++) await (await locks.acquire(`key-${k}`)).release();
        }),
      );
    await cycles(100); // warm-up: first-use allocations, JIT, key parents
    collectGarbage();
    const before = process.memoryUsage().heapUsed;
    await cycles(200);
    collectGarbage();
    const grownMb = (process.memoryUsage().heapUsed - before) / 1e6;
    expect(grownMb).toBeLessThan(3);
  });
});
