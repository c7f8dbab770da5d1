import { pickPair, type RaceScenario } from './scenario.js';
import { judgeTwoParty, observeEnd, readCommand, type TwoPartyJudge, writeCommand } from './two-party.js';

/**
 * A reader misses, loads the row ($100) and is slow to fill the cache, while a writer commits $50
 * and invalidates. Random delays at the racy points (reader: between load and fill; writer: before
 * its commit and between commit and invalidation) make the reader's fill land after the
 * invalidation in some iterations.
 */
export const staleSet: RaceScenario = {
  name: 'stale-set',
  description: 'a reader loads the old row while a writer updates it and invalidates the cache',
  defaultIterations: 100,
  pausesWorkers: false,
  async run(ctx) {
    const [reader, writer] = pickPair(ctx.workers, ctx.iteration);
    const { random } = ctx;
    const read = reader.call(
      readCommand(ctx, { startDelayMs: random.delayMs(0, 3), loadDelayMs: random.delayMs(0, 25) }),
    );
    const write = writer.call(
      writeCommand(ctx, '$50', 'invalidate', {
        startDelayMs: random.delayMs(0, 12),
        commitDelayMs: random.delayMs(0, 4),
      }),
    );
    await Promise.all([read, write]);
    const [cache, row] = await observeEnd(ctx);
    return judgeStaleSet(cache, row, ctx.strategy);
  },
};

/** Classifies a stale-set end state. */
export const judgeStaleSet: TwoPartyJudge = (cache, row, strategy) =>
  judgeTwoParty('stale-set', cache, row, strategy, {
    empty: 'invalidated last: the next read loads the new price',
    invalidated: 'the tombstone carries the committed version: the old fill was rejected, the next read loads $50',
    equal: 'the reader loaded after the commit: cache equals the database',
  });
