import type { ForeignNodeReason } from './foreign-children.js';

/** Options of {@link LockManager}. */
export interface LockManagerOptions {
  /** Parent of every per-key lock znode, e.g. `/zkoc/products/locks`. Created on demand. */
  root: string;
  /** Shown as the holder's label by `state()`/`list()` and the CLI. */
  label?: string;
  /**
   * Default `timeoutMs` of {@link LockManager.acquire}. `Infinity` (or anything over 2^31-1 ms,
   * about 24.8 days, the longest a timer can wait) waits until the signal aborts.
   * @default 5_000
   */
  timeoutMs?: number;
  /**
   * When held locks are declared lost. `expired` (default): when the session expires or is presumed
   * lost (no server reply for the session timeout); a mere disconnect keeps the lock, since the
   * session (and our znode) may well survive it and the Redis timestamp fence keeps a late writer
   * harmless. `suspended`: as soon as the connection drops or a heartbeat goes unanswered (Curator's
   * default, safer against pauses, more spurious losses).
   * @default 'expired'
   */
  lostOn?: 'suspended' | 'expired';
  /**
   * How long an empty per-key parent znode is kept after our last contender for it left, so a key
   * locked again soon costs no parent create/delete (two quorum writes per cycle otherwise). `0`
   * deletes it right behind our node. Pending deletions run at once on `settled()` and before
   * `ZooKeeperConnection.close()` ends the session; `Infinity` leaves them to those two.
   * @default 1_000
   */
  parentLingerMs?: number;
}

/** Events of {@link LockManager}. */
export interface LockManagerEvents {
  /** A waiter's znode was deleted by someone else while it queued: it queued again with a new one. */
  'node-recreated': [key: string, deletedPath: string];
  /**
   * A child under the key's parent is not one of our ephemeral contenders: `persistent` (named like
   * one, but it would never go away) or `malformed` (not named like one). It is ignored in the
   * queue; reported once per node. Anyone may create such nodes under the default open ACL.
   */
  'foreign-node': [key: string, path: string, why: ForeignNodeReason];
  /**
   * A released lock's delete was refused by ZooKeeper (e.g. NO_AUTH; a lost connection is retried
   * instead): the node stays until its session ends, and the key's next contenders wait behind it.
   * `release()` has already resolved, so this is where the error goes; without a listener it
   * becomes a process warning.
   */
  'release-failed': [key: string, path: string, error: unknown];
}

/** Options of {@link LockManager.acquire}. */
export interface AcquireOptions {
  /** Give up after this many ms (LockTimeoutError). @default the manager's `timeoutMs` (5 000) */
  timeoutMs?: number;
  /** Give up when this aborts (AbortError). */
  signal?: AbortSignal;
}

/** Options of {@link LockManager.state} and {@link LockManager.list}. */
export interface InspectOptions {
  /** Bound on the whole read. @default the session timeout */
  timeoutMs?: number;
}

/** What a refused release becomes when nobody listens for `release-failed`: never dropped in silence. */
export function warnReleaseFailed(path: string, error: unknown): void {
  process.emitWarning(`zk-ordered-cache: the release of lock ${path} failed: ${String(error)}`);
}
