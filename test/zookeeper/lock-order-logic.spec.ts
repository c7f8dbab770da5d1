import { describe, expect, it } from 'vitest';
import { LocalFifo } from '../../src/zookeeper/local-fifo.js';
import { getsTheLock, newProtectedPrefix, parseLockName, sortLockNames } from '../../src/zookeeper/lock-node-name.js';

const name = (uuidDigit: string, seq: number): string =>
  `_c_${uuidDigit.repeat(8)}-0000-0000-0000-000000000000-lock-${String(seq).padStart(10, '0')}`;

describe('lock order (pure logic)', () => {
  it('sorts by the sequence suffix, never by the whole name (uuid prefixes would scramble it)', () => {
    const children = [name('f', 3), name('0', 7), name('a', 1), 'foreign-node'];
    expect(sortLockNames(children).map((l) => l.sequence)).toEqual([1, 3, 7]);
  });

  it('holds when first, else watches exactly the node right before ours', () => {
    const children = [name('f', 3), name('0', 7), name('a', 1)];
    expect(getsTheLock(children, name('a', 1))).toMatchObject({ getsTheLock: true, ourIndex: 0 });
    expect(getsTheLock(children, name('0', 7))).toEqual({ getsTheLock: false, pathToWatch: name('f', 3), ourIndex: 2 });
    expect(getsTheLock(children, name('b', 9))).toMatchObject({ getsTheLock: false, ourIndex: -1 });
  });

  it('protected prefixes carry a fresh uuid that parses back', () => {
    const { uuid, prefix } = newProtectedPrefix();
    expect(parseLockName(`${prefix}0000000042`)).toEqual({ name: `${prefix}0000000042`, uuid, sequence: 42 });
    expect(newProtectedPrefix().uuid).not.toBe(uuid);
  });

  it('the in-process FIFO grants turns in call order and skips cancelled places', async () => {
    const fifo = new LocalFifo();
    const order: number[] = [];
    const tickets = [0, 1, 2, 3].map((i) => {
      const ticket = fifo.enter();
      void ticket.ready.then(() => order.push(i));
      return ticket;
    });
    tickets[2]!.cancel();
    for (let turn = 0; turn < 3; turn++) {
      await new Promise((resolve) => setImmediate(resolve));
      fifo.leave();
    }
    await new Promise((resolve) => setImmediate(resolve));
    expect(order).toEqual([0, 1, 3]);
    expect(fifo.idle).toBe(true);
  });
});
