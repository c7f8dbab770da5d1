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
    const { strategy, key, rowId, random } = ctx;
    const read = reader.call({
      op: 'read',
      strategy,
      key,
      rowId,
      startDelayMs: random.delayMs(0, 3),
      loadDelayMs: random.delayMs(0, 25),
    });
    const write = writer.call({
      op: 'write',
      strategy,
      key,
      rowId,
      price: '$50',
      mode: 'invalidate',
      startDelayMs: random.delayMs(0, 12),
      commitDelayMs: random.delayMs(0, 4),
    });
    await Promise.all([read, write]);
    const [cache, row] = await Promise.all([ctx.observeCache(), ctx.readDatabase()]);
    return judgeStaleSet(cache, row, strategy);
  },
};

/** Classifies a stale-set end state. */
export function judgeStaleSet(cache: CacheObservation, row: DatabaseRow, strategy: RaceStrategy): IterationOutcome {
  const state = describeEnd(cache, row);
  switch (freshnessOf(cache, row)) {
    case 'empty':
      return {
        state,
        expectation: 'ACCEPTABLE',
        interpretation: 'invalidated last: the next read loads the new price',
        operations: 2,
      };
    case 'invalidated':
      return {
        state,
        expectation: 'ACCEPTABLE',
        interpretation:
          'the tombstone carries the committed version: the old fill was rejected, the next read loads $50',
        operations: 2,
      };
    case 'equal':
      return {
        state,
        expectation: 'ACCEPTABLE',
        interpretation: 'the reader loaded after the commit: cache equals the database',
        operations: 2,
      };
    case 'older':
      return {
        state,
        expectation: 'FORBIDDEN',
        interpretation: oneLine('stale-set', strategy),
        operations: 2,
      };
  }
}
