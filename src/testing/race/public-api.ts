/**
 * The race harness as `zk-ordered-cache/testing` exports it: one list, re-exported by both
 * testing/index.ts and race/index.ts (which adds the internals the tests and scripts use).
 */

export { renderRaceReport } from './outcome-table.js';
export { parseDurationMs } from './parse-duration.js';
export { RaceWorkerError } from './race-worker.js';
export { runRace } from './run-race.js';
export {
  type ObservedOutcome,
  RACE_SCENARIOS,
  RACE_STRATEGIES,
  type RaceCell,
  type RaceOptions,
  type RaceProgress,
  type RaceReport,
  type RaceScenarioName,
  type RaceServers,
  type RaceStrategy,
} from './types.js';
