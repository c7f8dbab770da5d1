import type { PredecessorWatch } from './predecessor-watch.js';
import type { ZkSession } from './zk-session.js';

/** One contender's progress, threaded through the recipe steps. */
export interface Contender {
  key: string;
  parentPath: string;
  uuid: string;
  prefix: string;
  data: Buffer;
  /** Our node's path once the create reply was seen. */
  path: string | undefined;
  /** The last create we sent (its path is ours once it resolves), for `abandon` to wait for. */
  createInFlight: Promise<string> | undefined;
  /**
   * A create's reply was lost and no search has looked for its node since: search before creating
   * again (protected mode), or the server ends up with two nodes of ours.
   */
  replyLost?: boolean;
  /** Some create's reply was lost: a node of ours may exist unseen; giving up sweeps them all. */
  orphanRisk?: boolean;
  /** Set when the contender gave up: settles once our node is gone (or its session ended). */
  abandoned?: Promise<void>;
  /**
   * Path of our node once someone else deleted it (its own watch said so); cleared on re-create and
   * on a new session. Compared with the current path, never merely tested for presence.
   */
  deletedPath?: string;
  /** Called when our current node is deleted by someone else: wakes a waiter, or loses a held lock. */
  onDeleted?: () => void;
  /** A watch sent with our create on the node we guessed we would queue behind (TailGuesses). */
  guessedWatch?: PredecessorWatch;
  /** The node our own-node watch was sent for, and the one the server confirmed it on (it existed). */
  watched?: string;
  watchConfirmed?: string;
}

/**
 * Leaves an exists watch on our current node (once per node), so its deletion by someone else is
 * seen at once (Curator only notices on the next listing). Sent when we become next in line, or
 * when a holder first looks at `lock.signal`: an acquire whose caller never looks costs no extra
 * request. Not awaited: ZooKeeper applies a session's requests in order, so any delete
 * after this one is processed fires the watch, and one before it makes the reply `null`. A failed
 * request leaves only the next listing to notice.
 */
export function watchOwnNode(session: ZkSession, c: Contender): void {
  const path = c.path;
  if (path === undefined || c.watched === path) return;
  c.watched = path;
  const deleted = (): void => {
    if (c.path !== path || c.deletedPath === path) return; // an old node, or already reported
    c.deletedPath = path;
    c.onDeleted?.();
  };
  session
    .exists(path, (event) => {
      if (event.name === 'NODE_DELETED') deleted();
    })
    .then(
      (stat) => {
        if (stat === null) deleted();
        else c.watchConfirmed = path;
      },
      () => undefined,
    );
}

/**
 * True when the predecessor that just went was the only lower contender in our last listing, so
 * the lock is ours without listing again (Curator lists again; this saves a request per
 * handoff). Safe because (1) sequence numbers under a parent only grow, and the parent cannot be
 * replaced while our node is in it, so no lower contender can have appeared since that listing;
 * (2) our own node still exists: the server confirmed our watch on it, and ZooKeeper delivers
 * its delete event before any later event or reply of this session. See docs/design.md,
 * "Handoff without a listing".
 */
export function firstWithoutListing(c: Contender, path: string, ourIndex: number): boolean {
  return ourIndex === 1 && c.deletedPath !== path && c.watchConfirmed === path;
}
