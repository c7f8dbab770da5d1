export { digestAclId, type ZooKeeperAclEntry, type ZooKeeperAclSpec, type ZooKeeperPermission } from './acl.js';
export { CONNECTION_DEFAULTS, type ZooKeeperAuth, type ZooKeeperConnectionOptions } from './connection-options.js';
export type { ForeignNodeReason } from './foreign-children.js';
export type { Lock } from './held-lock.js';
export type { HolderInfo } from './holder-info.js';
export {
  type AcquireOptions,
  type InspectOptions,
  LockManager,
  type LockManagerEvents,
  type LockManagerOptions,
} from './lock-manager.js';
export { LOCK_MANAGER_DEFAULTS } from './lock-manager-options.js';
export type { LockNode, LockState } from './lock-state.js';
export type { SessionEndReason } from './zk-session.js';
export { type ConnectionState, ZooKeeperConnection, type ZooKeeperConnectionEvents } from './zookeeper-connection.js';
