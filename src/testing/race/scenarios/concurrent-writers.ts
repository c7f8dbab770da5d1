import { oneLine } from '../interleavings.js';
import type { RaceStrategy } from '../types.js';
import {
  type CacheObservation,
  type DatabaseRow,
  describeEnd,
  freshnessOf,
  type IterationOutcome,
  pickPair,
  type RaceScenario,
} from './scenario.js';

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
    const { strategy, key, rowId, random } = ctx;
    await Promise.all(
      [
        [first, '$70'],
        [second, '$80'],
      ].map(([worker, price]) =>
        (worker as typeof first).call({
          op: 'write',
          strategy,
          key,
          rowId,
          price: price as string,
          mode: 'write-through',
          startDelayMs: random.delayMs(0, 2),
          commitDelayMs: random.delayMs(0, 20),
        }),
      ),
    );
    const [cache, row] = await Promise.all([ctx.observeCache(), ctx.readDatabase()]);
    return judgeConcurrentWriters(cache, row, strategy);
  },
};

/** Classifies a concurrent-writers end state. */
export function judgeConcurrentWriters(
  cache: CacheObservation,
  row: DatabaseRow,
  strategy: RaceStrategy,
): IterationOutcome {
  const state = describeEnd(cache, row);
  switch (freshnessOf(cache, row)) {
    case 'equal':
      return {
        state,
        expectation: 'ACCEPTABLE',
        interpretation: 'the later commit also wrote the cache last (or was ordered last by its version)',
        operations: 2,
      };
    case 'empty':
    case 'invalidated':
      return {
        state,
        expectation: 'ACCEPTABLE',
        interpretation: 'nothing servable cached: the next read loads the database',
        operations: 2,
      };
    case 'older':
      return {
        state,
        expectation: 'FORBIDDEN',
        interpretation: oneLine('concurrent-writers', strategy),
        operations: 2,
      };
  }
}
