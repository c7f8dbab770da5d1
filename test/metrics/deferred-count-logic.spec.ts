import { describe, expect, it } from 'vitest';
import { DeferredCount } from '../../src/metrics/deferred-count.js';

// Pure logic: what is counted reaches the prom-client child, whole, once per flush.
describe('DeferredCount', () => {
  it('adds what was counted since the last flush, and nothing when nothing was', () => {
    const added: number[] = [];
    const count = new DeferredCount({ inc: (value) => added.push(value) });
    count.flush();
    expect(added).toEqual([]);
    for (let i = 0; i < 5; i++) count.inc();
    count.flush();
    count.flush();
    count.inc();
    count.flush();
    expect(added).toEqual([5, 1]);
    count.add(7);
    count.inc();
    count.add(0);
    count.flush();
    expect(added).toEqual([5, 1, 8]);
  });
});
