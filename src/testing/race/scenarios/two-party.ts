import { oneLine } from '../interleavings.js';
import type { ReadCommand, WriteCommand } from '../protocol.js';
import type { RaceScenarioName, RaceStrategy } from '../types.js';
import {
  type CacheObservation,
  type DatabaseRow,
  describeEnd,
  type Freshness,
  freshnessOf,
  type IterationContext,
  type IterationOutcome,
} from './scenario.js';

/** The iteration's strategy, key and row: what every command of a two-party race names. */
type Target = Pick<IterationContext, 'strategy' | 'key' | 'rowId'>;

/** A reader's command for the iteration's key; delays not given are 0 (forced scripts hold instead). */
export function readCommand(
  { strategy, key, rowId }: Target,
  delays: Partial<Pick<ReadCommand, 'startDelayMs' | 'loadDelayMs'>> = {},
): ReadCommand {
  return { op: 'read', strategy, key, rowId, startDelayMs: 0, loadDelayMs: 0, ...delays };
}

/** A writer's command: commit `price`, then update the cache by `mode`; delays not given are 0. */
export function writeCommand(
  { strategy, key, rowId }: Target,
  price: string,
  mode: WriteCommand['mode'],
  delays: Partial<Pick<WriteCommand, 'startDelayMs' | 'commitDelayMs'>> = {},
): WriteCommand {
  return { op: 'write', strategy, key, rowId, price, mode, startDelayMs: 0, commitDelayMs: 0, ...delays };
}

/** The cache and the row once the iteration's workers are done. */
export function observeEnd(ctx: IterationContext): Promise<[CacheObservation, DatabaseRow]> {
  return Promise.all([ctx.observeCache(), ctx.readDatabase()]);
}

/** Classifies one scenario's two-party end state. */
export type TwoPartyJudge = (cache: CacheObservation, row: DatabaseRow, strategy: RaceStrategy) => IterationOutcome;

/** What each servable end state means in one scenario (an `older` one is always forbidden). */
export type AcceptableEnds = Readonly<Record<Exclude<Freshness, 'older'>, string>>;

/** The shared meaning of an empty or invalidated cache for the writers-first scenarios. */
export const NOTHING_SERVABLE = 'nothing servable cached: the next read loads the database';

/**
 * Classifies a two-party end state (two cache operations): an `older` cache is FORBIDDEN and
 * explained by the strategy's known interleaving; the rest is ACCEPTABLE as `ends` explains it.
 */
export function judgeTwoParty(
  scenario: RaceScenarioName,
  cache: CacheObservation,
  row: DatabaseRow,
  strategy: RaceStrategy,
  ends: AcceptableEnds,
): IterationOutcome {
  const state = describeEnd(cache, row);
  const freshness = freshnessOf(cache, row);
  if (freshness === 'older') {
    return { state, expectation: 'FORBIDDEN', interpretation: oneLine(scenario, strategy), operations: 2 };
  }
  return { state, expectation: 'ACCEPTABLE', interpretation: ends[freshness], operations: 2 };
}
