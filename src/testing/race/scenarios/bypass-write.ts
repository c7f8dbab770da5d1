import { sleep } from '../../../core/deadline.js';
import { oneLine } from '../interleavings.js';
import { startRaceFollower } from '../race-follower.js';
import type { RaceStrategy } from '../types.js';
import {
  type CacheObservation,
  type DatabaseRow,
  describeEnd,
  freshnessOf,
  type IterationContext,
  type IterationOutcome,
  type RaceScenario,
} from './scenario.js';
import { NOTHING_SERVABLE, observeEnd, readCommand } from './two-party.js';

/** How often the end state is re-read while a follower may still be catching up. */
const POLL_MS = 5;

/** True when a follower turns the strategy's bypass writes into tombstones. */
export function usesFollower(strategy: RaceStrategy): boolean {
  return strategy === 'ordered+follower';
}

/** The strategy whose read path the workers run: `ordered+follower` reads as `ordered` (the follower is the runner's). */
export function workerTarget(ctx: IterationContext): IterationContext {
  return usesFollower(ctx.strategy) ? { ...ctx, strategy: 'ordered' } : ctx;
}

/**
 * Every worker reads the cold key (miss, load the row, fill the cache, with random delays around
 * the load) while a writer outside the library (the runner's own connection: think psql, a
 * migration, a service in another language) commits $50 with plain SQL: the trigger bumps the
 * version, nobody touches the cache. Under `ordered+follower` the run's follower tails the
 * change stream and tombstones the key at the committed version.
 */
export const bypassWrite: RaceScenario = {
  name: 'bypass-write',
  description:
    'a writer changes the row with plain SQL (not through the library) while readers fill the cache; stale past the lag bound is FORBIDDEN',
  defaultIterations: 100,
  pausesWorkers: false,
  async openCell(setup) {
    return usesFollower(setup.strategy) ? startRaceFollower(setup) : { [Symbol.asyncDispose]: async () => {} };
  },
  async run(ctx) {
    const { random } = ctx;
    const target = workerTarget(ctx);
    const reads = ctx.workers.map((worker) =>
      worker.call(readCommand(target, { startDelayMs: random.delayMs(0, 3), loadDelayMs: random.delayMs(0, 25) })),
    );
    // Up to 40 ms: past a locking reader's lock wait too, so the commit falls on either side of its load.
    const writeDelayMs = random.delayMs(0, 40);
    const write = sleep(writeDelayMs).then(async () => {
      await ctx.commitPlain('$50');
      return performance.now();
    });
    const [committedAt] = await Promise.all([write, ...reads]);
    return judgeBypassWrite(ctx, await settle(ctx, committedAt), ctx.workers.length + 1);
  },
};

/**
 * The end state once the lag bound allows: at once for a strategy with nothing left that could
 * change the key (no follower: the next change is the TTL's, 10 minutes away); with a follower,
 * as soon as the cache is no longer older than the row, or `lagBoundMs` after the commit returned.
 */
export async function settle(ctx: IterationContext, committedAt: number): Promise<[CacheObservation, DatabaseRow]> {
  const [first, row] = await observeEnd(ctx);
  let cache = first;
  if (!usesFollower(ctx.strategy)) return [cache, row];
  const deadline = committedAt + ctx.lagBoundMs;
  while (freshnessOf(cache, row) === 'older' && performance.now() < deadline) {
    await sleep(POLL_MS);
    cache = await ctx.observeCache();
  }
  return [cache, row];
}

/** Classifies a bypass-write end state (`operations`: the reads plus the plain SQL write). */
export function judgeBypassWrite(
  ctx: Pick<IterationContext, 'strategy' | 'lagBoundMs'>,
  [cache, row]: [CacheObservation, DatabaseRow],
  operations: number,
): IterationOutcome {
  const state = describeEnd(cache, row);
  switch (freshnessOf(cache, row)) {
    case 'older':
      return {
        state,
        expectation: 'FORBIDDEN',
        interpretation: usesFollower(ctx.strategy)
          ? `still stale ${ctx.lagBoundMs} ms after the commit (the lag bound): the follower had not applied it`
          : oneLine('bypass-write', ctx.strategy),
        operations,
      };
    case 'equal':
      return {
        state,
        expectation: 'ACCEPTABLE',
        interpretation: 'the last fill loaded the row after the commit: cache equals the database',
        operations,
      };
    case 'invalidated':
      return {
        state,
        expectation: 'ACCEPTABLE',
        interpretation: "the follower's tombstone at the committed version: the next read loads $50",
        operations,
      };
    case 'empty':
      return { state, expectation: 'ACCEPTABLE', interpretation: NOTHING_SERVABLE, operations };
  }
}
