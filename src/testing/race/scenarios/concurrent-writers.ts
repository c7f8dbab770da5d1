import { pickPair, type RaceScenario } from './scenario.js';
import { judgeTwoParty, NOTHING_SERVABLE, observeEnd, type TwoPartyJudge, writeCommand } from './two-party.js';

/**
 * Two writers in two processes update the row ($70, $80) and write the new value to the cache
 * (write-through). The row ends with the later commit; the cache must end with the same value.
 * A random delay between each commit and its cache write lets the writes cross.
 */
export const concurrentWriters: RaceScenario = {
  name: 'concurrent-writers',
  description: 'two writers update the row and the cache at once; the cache must end equal to the database',
  defaultIterations: 100,
  pausesWorkers: false,
  async run(ctx) {
    const [first, second] = pickPair(ctx.workers, ctx.iteration);
    const { random } = ctx;
    const write = (price: string) =>
      writeCommand(ctx, price, 'write-through', {
        startDelayMs: random.delayMs(0, 2),
        commitDelayMs: random.delayMs(0, 20),
      });
    await Promise.all([first.call(write('$70')), second.call(write('$80'))]);
    const [cache, row] = await observeEnd(ctx);
    return judgeConcurrentWriters(cache, row, ctx.strategy);
  },
};

/** Classifies a concurrent-writers end state. */
export const judgeConcurrentWriters: TwoPartyJudge = (cache, row, strategy) =>
  judgeTwoParty('concurrent-writers', cache, row, strategy, {
    equal: 'the later commit also wrote the cache last (or was ordered last by its version)',
    empty: NOTHING_SERVABLE,
    invalidated: NOTHING_SERVABLE,
  });
