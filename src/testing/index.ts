/**
 * `zk-ordered-cache/testing`: real ZooKeeper, Redis and PostgreSQL for integration tests, with
 * fault injection (stop, restart, pause, resume, session expiry) and four-letter words.
 */
export { startStack, resolveStackProvider } from './start-stack.js';
export { checkServerBinaries, type MissingBinary } from './local/binaries.js';
export { dockerEngineAnswers } from './docker-probe.js';
export { fourLetterWord } from './four-letter-word.js';
export { expireSession } from './expire-session.js';
export { startChaos, ALL_CHAOS_FAULTS, type Chaos, type ChaosAction, type ChaosEvent, type ChaosFault, type ChaosOptions, type ChaosReport, type ChaosTarget } from './chaos.js';
export type {
  ExpireSessionOptions,
  StackProvider,
  StackProviderChoice,
  StartedPostgres,
  RedisServerOptions,
  StartedRedis,
  StartedRedisNode,
  StartedServer,
  StartedStack,
  StartedZooKeeper,
  StartedZooKeeperServer,
  StartStackOptions,
  ZooKeeperServerOptions,
} from './types.js';
export {
  runRace,
  renderRaceReport,
  parseDurationMs,
  RaceWorkerError,
  RACE_SCENARIOS,
  RACE_STRATEGIES,
  type RaceOptions,
  type RaceReport,
  type RaceCell,
  type ObservedOutcome,
  type RaceProgress,
  type RaceScenarioName,
  type RaceServers,
  type RaceStrategy,
} from './race/index.js';
