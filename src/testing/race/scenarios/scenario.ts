import type { SeededRandom } from '../prng.js';
import type { RaceWorker } from '../race-worker.js';
import type { Expectation, RaceScenarioName, RaceServers, RaceStrategy } from '../types.js';

/** What the cache holds for the iteration's key at the end, as the strategy stores it. */
export type CacheObservation =
  | { kind: 'empty' }
  | { kind: 'tombstone'; timestamp: bigint }
  | { kind: 'value'; value: string; timestamp?: bigint };

/** The iteration's row as the database has it at the end. */
export interface DatabaseRow {
  price: string;
  version: bigint;
}

/** Everything one iteration gets from the runner. */
export interface IterationContext {
  strategy: RaceStrategy;
  iteration: number;
  /** The run's worker processes (at least 2). */
  workers: readonly RaceWorker[];
  random: SeededRandom;
  /** A key and a row of its own: the row exists with price {@link INITIAL_PRICE}, the key is cold. */
  key: string;
  rowId: number;
  stampedeConcurrency: number;
  /** `bypass-write`'s lag bound (`RaceOptions.bypassLagBoundMs`). */
  lagBoundMs: number;
  observeCache(): Promise<CacheObservation>;
  readDatabase(): Promise<DatabaseRow>;
  /** Commits `price` to the row with plain SQL from the runner's own connection: no cache operation at all. */
  commitPlain(price: string): Promise<bigint>;
}

/** What a scenario's per-cell set-up gets (see {@link RaceScenario.openCell}). */
export interface CellSetup {
  strategy: RaceStrategy;
  servers: RaceServers;
  /** The run's OrderedCache namespace (the workers'). */
  namespace: string;
  table: string;
  /** The cache key of the iteration on row `rowId` in this cell. */
  keyOf(rowId: number): string;
}

/** One iteration's end state, classified. */
export interface IterationOutcome {
  state: string;
  expectation: Expectation;
  interpretation: string;
  /** Cache operations the workers issued. */
  operations: number;
}

/** A race scenario: how to run one iteration and how to judge its end state. */
export interface RaceScenario {
  name: RaceScenarioName;
  /** One line for table headers. */
  description: string;
  /** Iterations per strategy when neither `iterations` nor `durationMs` is given. */
  defaultIterations: number;
  /** True when workers need the short session timeout (they get paused past it). */
  pausesWorkers: boolean;
  /** Starts what the cell's iterations rely on besides the workers (a follower), stopped after the cell. */
  openCell?(setup: CellSetup): Promise<AsyncDisposable>;
  /**
   * True when an iteration mostly waits (a lease's expiry): several run at once, each lane on
   * workers of its own (`RaceOptions.lanes`); its iterations must share no key, row or process.
   */
  runsInLanes?: boolean;
  run(context: IterationContext): Promise<IterationOutcome>;
}

/** Every row starts at this price; writers move it. */
export const INITIAL_PRICE = '$100';

/** How a final cache state relates to the database's row. */
export type Freshness = 'empty' | 'invalidated' | 'equal' | 'older';

/**
 * Compares what the cache ended with against the database. A tombstone at (or past) the row's
 * version means "invalidated: the next read loads the row"; a value equal to the row's price is
 * `equal` (for ordered entries the timestamp must match too); anything else is `older`.
 */
export function freshnessOf(cache: CacheObservation, row: DatabaseRow): Freshness {
  if (cache.kind === 'empty') return 'empty';
  if (cache.kind === 'tombstone') return cache.timestamp >= row.version ? 'invalidated' : 'older';
  if (cache.value !== row.price) return 'older';
  if (cache.timestamp !== undefined && cache.timestamp !== row.version) return 'older';
  return 'equal';
}

/** A short rendering of the end state, e.g. `cache = $100, database = $50`. */
export function describeEnd(cache: CacheObservation, row: DatabaseRow): string {
  const cached =
    cache.kind === 'empty'
      ? 'cache empty'
      : cache.kind === 'tombstone'
        ? `cache: tombstone ${cache.timestamp >= row.version ? 'at the committed version' : 'older than the row'}`
        : `cache = ${cache.value}`;
  return `${cached}, database = ${row.price}`;
}

/** The other worker than `first` for a two-party race, alternating roles across iterations. */
export function pickPair(workers: readonly RaceWorker[], iteration: number): [RaceWorker, RaceWorker] {
  const a = workers[iteration % workers.length]!;
  const b = workers[(iteration + 1) % workers.length]!;
  return [a, b];
}
