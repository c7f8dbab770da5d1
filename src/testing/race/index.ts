/**
 * The race harness: jcstress-style stress runs of the cache races under three strategies
 * (`naive`, `lock-only`, `ordered`), with real worker processes and real servers.
 */
export { runRace, parseRaceOptions, RACE_TABLE, RACE_CHAOS_FAULTS } from './run-race.js';
export { renderRaceReport, renderTotals, renderSideBySide, renderChaos } from './outcome-table.js';
export { isTransientFailure, retryTransient, type RetrySettings } from './transient.js';
export { parseDurationMs } from './parse-duration.js';
export { SeededRandom } from './prng.js';
export { RaceWorkerError, defaultWorkerEntry } from './race-worker.js';
export { SCENARIOS, type RaceScenario } from './scenarios/index.js';
export {
  RACE_SCENARIOS,
  RACE_STRATEGIES,
  type Expectation,
  type ObservedOutcome,
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
