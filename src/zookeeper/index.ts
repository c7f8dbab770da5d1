export { ZooKeeperConnection, type ConnectionState, type ZooKeeperConnectionEvents } from './zookeeper-connection.js';
export { CONNECTION_DEFAULTS, type ZooKeeperConnectionOptions, type ZooKeeperAuth } from './connection-options.js';
export { LockManager, type LockManagerOptions, type AcquireOptions, type InspectOptions, type LockTestHooks } from './lock-manager.js';
export type { Lock } from './held-lock.js';
export type { LockNode, LockState } from './lock-state.js';
export type { HolderInfo } from './holder-info.js';
export type { SessionEndReason } from './zk-session.js';
export { digestAclId, type ZooKeeperAclSpec, type ZooKeeperAclEntry, type ZooKeeperPermission } from './acl.js';
