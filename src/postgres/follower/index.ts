export type { BatchStats } from './applier.js';
export type { RowProblem } from './change-decoder.js';
export { type Follower, startFollower } from './follower.js';
export type { BatchOutcome, FollowerCache } from './follower-cache.js';
export { FollowerEventEmitter, type FollowerEventName, type FollowerEvents } from './follower-events.js';
export type {
  ChangedRow,
  FollowerDatabaseConfig,
  FollowerOptions,
  KeyMapping,
  TableMapping,
} from './follower-options.js';
