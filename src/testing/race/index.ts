/**
 * The race harness: jcstress-style stress runs of the cache races under three strategies
 * (`naive`, `lock-only`, `ordered`), with real worker processes and real servers.
 */

export { renderChaos, renderRaceReport, renderSideBySide, renderTotals } from './outcome-table.js';
export { parseDurationMs } from './parse-duration.js';
export { SeededRandom } from './prng.js';
export { defaultWorkerEntry, RaceWorkerError } from './race-worker.js';
export { parseRaceOptions, RACE_CHAOS_FAULTS, RACE_TABLE, runRace } from './run-race.js';
export { type RaceScenario, SCENARIOS } from './scenarios/index.js';
export { isTransientFailure, type RetrySettings, retryTransient } from './transient.js';
export {
  type Expectation,
  type ObservedOutcome,
  RACE_SCENARIOS,
  RACE_STRATEGIES,
  type RaceCell,
  type RaceChaosOptions,
  type RaceChaosReport,
  type RaceFault,
  type RaceOptions,
  type RaceProgress,
  type RaceReport,
  type RaceScenarioName,
  type RaceServers,
  type RaceStrategy,
} from './types.js';
