/**
 * The race harness: jcstress-style stress runs of the cache races under the harness's three
 * strategies (`naive`, `lock-only`, `ordered`) and the remedies the field recommends, with real
 * worker processes and real servers.
 */

export { INTERLEAVINGS, type Interleaving } from './interleavings.js';
export { renderChaos, renderCosts, renderSideBySide, renderTotals } from './outcome-table.js';
export { SeededRandom } from './prng.js';
export * from './public-api.js';
export { defaultWorkerEntry } from './race-worker.js';
export { describeMachine, type ReportLabel, renderRemediesMarkdown } from './remedies-report.js';
export { parseRaceOptions, RACE_CHAOS_FAULTS, RACE_TABLE } from './run-race.js';
export { type RaceScenario, SCENARIOS } from './scenarios/index.js';
export { isTransientFailure, type RetrySettings, retryTransient } from './transient.js';
export {
  appliesTo,
  CORE_STRATEGIES,
  type CoreStrategy,
  DEFAULT_STRATEGIES,
  type Expectation,
  type FollowerStrategy,
  isOrdered,
  isRemedy,
  type LatencySummary,
  type RaceChaosOptions,
  type RaceChaosReport,
  type RaceCosts,
  type RaceFault,
  REMEDY_STRATEGIES,
  type RemedyStrategy,
  type StrategyCounts,
} from './types.js';
