import { describe, expect, it } from 'vitest';
import { LocalFifo } from '../../src/zookeeper/local-fifo.js';
import {
  getsTheLock,
  lockSequence,
  newProtectedPrefix,
  parseLockName,
  sortLockNames,
} from '../../src/zookeeper/lock-node-name.js';

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

  it('reads names exactly as the regular expression it replaced, and decides as sorting did', () => {
    const LOCK_NAME = /^_c_([0-9a-f-]{36})-lock-(\d{10})$/;
    const reference = (n: string): number => {
      const match = LOCK_NAME.exec(n);
      return match ? Number(match[2]) : -1;
    };
    let seed = 7;
    const random = (k: number): number => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed % k;
    };
    const mutate = (n: string): string => {
      const at = random(n.length + 1);
      const pick = '0aAfgz-_/ 9'[random(11)]!;
      return [
        n.slice(0, at) + pick + n.slice(at + 1),
        n.slice(0, at) + n.slice(at + 1),
        n.slice(0, at) + pick + n.slice(at),
      ][random(3)]!;
    };
    for (let round = 0; round < 300; round++) {
      const names = Array.from({ length: 1 + random(8) }, () => {
        const valid = `${newProtectedPrefix().prefix}${String(random(60)).padStart(10, '0')}`;
        return random(4) === 0 ? mutate(valid) : valid;
      });
      for (const n of names) expect(lockSequence(n)).toBe(reference(n));
      const sorted = names
        .filter((n) => reference(n) >= 0)
        .sort((a, b) => reference(a) - reference(b) || (a < b ? -1 : 1));
      const ours = names[random(names.length)]!;
      const index = sorted.indexOf(ours);
      const expected =
        index < 0
          ? { getsTheLock: false, ourIndex: -1 }
          : index === 0
            ? { getsTheLock: true, ourIndex: 0 }
            : { getsTheLock: false, pathToWatch: sorted[index - 1], ourIndex: index };
      expect(getsTheLock(names, ours)).toEqual(expected);
      expect(sortLockNames(names).map((l) => l.name)).toEqual(sorted);
    }
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
