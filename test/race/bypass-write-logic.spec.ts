import { describe, expect, it } from 'vitest';
import { INTERLEAVINGS } from '../../src/testing/race/interleavings.js';
import { judgeBypassWrite, settle } from '../../src/testing/race/scenarios/bypass-write.js';
import type { CacheObservation, IterationContext } from '../../src/testing/race/scenarios/scenario.js';

const ROW = { price: '$50', version: 7n };
const OLD: CacheObservation = { kind: 'value', value: '$100', timestamp: 6n };
const TOMBSTONE: CacheObservation = { kind: 'tombstone', timestamp: 7n };

/** An iteration context whose cache answers `answers` in turn (the last one from then on). */
function contextOf(strategy: IterationContext['strategy'], answers: CacheObservation[], lagBoundMs = 200) {
  let reads = 0;
  const ctx = {
    strategy,
    lagBoundMs,
    observeCache: async () => answers[Math.min(reads++, answers.length - 1)]!,
    readDatabase: async () => ROW,
  } as unknown as IterationContext;
  return { ctx, reads: () => reads };
}

// Pure logic: how bypass-write judges an end state and how long it waits for a follower.
describe('bypass-write judgement', () => {
  it('a stale cache without a follower is FORBIDDEN at once, with the strategy’s interleaving', async () => {
    const { ctx, reads } = contextOf('ordered', [OLD, TOMBSTONE]);
    const end = await settle(ctx, performance.now());
    expect(reads()).toBe(1); // nothing could change the key before its TTL: no waiting
    expect(judgeBypassWrite(ctx, end, 3)).toEqual({
      state: 'cache = $100, database = $50',
      expectation: 'FORBIDDEN',
      interpretation: INTERLEAVINGS['bypass-write'].ordered!.summary,
      operations: 3,
    });
  });

  it('with a follower, the end state is re-read until it caught up', async () => {
    const { ctx, reads } = contextOf('ordered+follower', [OLD, OLD, TOMBSTONE]);
    const end = await settle(ctx, performance.now());
    expect(reads()).toBe(3);
    expect(judgeBypassWrite(ctx, end, 3)).toMatchObject({
      state: 'cache: tombstone at the committed version, database = $50',
      expectation: 'ACCEPTABLE',
    });
  });

  it('with a follower that does not catch up, FORBIDDEN once the lag bound has passed, naming it', async () => {
    const { ctx } = contextOf('ordered+follower', [OLD], 100);
    const committedAt = performance.now();
    const end = await settle(ctx, committedAt);
    expect(performance.now() - committedAt).toBeGreaterThanOrEqual(100);
    expect(judgeBypassWrite(ctx, end, 3)).toMatchObject({
      expectation: 'FORBIDDEN',
      interpretation: 'still stale 100 ms after the commit (the lag bound): the follower had not applied it',
    });
  });

  it('a fill that loaded after the commit is ACCEPTABLE', () => {
    const equal: CacheObservation = { kind: 'value', value: '$50', timestamp: 7n };
    expect(judgeBypassWrite({ strategy: 'naive', lagBoundMs: 1 }, [equal, ROW], 3).expectation).toBe('ACCEPTABLE');
  });
});
