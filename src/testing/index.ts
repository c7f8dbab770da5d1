/**
 * `zk-ordered-cache/testing`: real ZooKeeper, Redis and PostgreSQL for integration tests, with
 * fault injection (stop, restart, pause, resume, session expiry) and four-letter words.
 */

export {
  ALL_CHAOS_FAULTS,
  type Chaos,
  type ChaosAction,
  type ChaosEvent,
  type ChaosFault,
  type ChaosOptions,
  type ChaosReport,
  type ChaosTarget,
  startChaos,
} from './chaos.js';
export { dockerEngineAnswers } from './docker-probe.js';
export { expireSession } from './expire-session.js';
export { fourLetterWord } from './four-letter-word.js';
export { checkServerBinaries, type MissingBinary } from './local/binaries.js';
export * from './race/public-api.js';
export { resolveStackProvider, startStack } from './start-stack.js';
export type {
  ExpireSessionOptions,
  RedisServerOptions,
  StackProvider,
  StackProviderChoice,
  StartedPostgres,
  StartedRedis,
  StartedRedisNode,
  StartedServer,
  StartedStack,
  StartedZooKeeper,
  StartedZooKeeperServer,
  StartStackOptions,
  ZooKeeperServerOptions,
} from './types.js';
