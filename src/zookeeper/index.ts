export { ZooKeeperConnection, type ConnectionState, type ZooKeeperConnectionEvents } from './ZooKeeperConnection.js';
export { CONNECTION_DEFAULTS, type ZooKeeperConnectionOptions, type ZooKeeperAuth } from './connection-options.js';
export { LockManager, type LockManagerOptions, type AcquireOptions, type InspectOptions, type LockTestHooks } from './LockManager.js';
export type { Lock } from './Lock.js';
export type { LockNode, LockState } from './lock-state.js';
export type { HolderInfo } from './holder-info.js';
export type { SessionEndReason } from './ZkSession.js';
export { digestAclId, type ZooKeeperAclSpec, type ZooKeeperAclEntry, type ZooKeeperPermission } from './acl.js';
