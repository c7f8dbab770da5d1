import type { RawEvent } from './client-module.js';
import { lockSequence } from './lock-node-name.js';
import type { NodeData, ZkSession } from './zk-session.js';

/**
 * The data watch a waiter keeps on the node it queues behind. `getData`, not `exists`: on a node
 * already gone it leaves no watch behind. It can be set before the listing that names the
 * predecessor is answered (a guess, see {@link TailGuesses}); the waiter takes it over only when the
 * listing names the same node, and a guess nobody takes over is simply never listened to.
 */
export class PredecessorWatch {
  /** The getData's answer (its stat tells a persistent node); rejects `NO_NODE` when the node is gone. */
  readonly reply: Promise<NodeData>;
  /** True once the watch fired with the node's deletion (a data change hands nothing on). */
  deleted = false;
  private fired = false;
  private onFire: (() => void) | undefined;

  constructor(
    session: ZkSession,
    readonly path: string,
  ) {
    this.reply = session.getData(path, (event: RawEvent) => {
      this.fired = true;
      this.deleted = event.name === 'NODE_DELETED';
      this.onFire?.();
    });
    this.reply.catch(() => undefined); // a guess nobody takes over is never awaited
  }

  /** Calls `wake` on the watch's event, at once if it fired already. */
  listen(wake: () => void): void {
    this.onFire = wake;
    if (this.fired) wake();
  }
}

/** The watch on `path`: `c`'s guessed one if it is on that node, else a new one (the guess is used up). */
export function watchPredecessor(
  session: ZkSession,
  c: { guessedWatch?: PredecessorWatch | undefined },
  path: string,
): PredecessorWatch {
  const guessed = c.guessedWatch;
  c.guessedWatch = undefined;
  return guessed?.path === path ? guessed : new PredecessorWatch(session, path);
}

/** Guesses kept at most, one per key parent: a guess is only worth something right after a grant. */
const MAX_GUESSES = 64;

/**
 * What a holder saw in the listing that granted it the lock, kept for its next contender on the key.
 * `tail` is the newest contender other than ours: a holder that releases and queues again at once
 * (a busy key's contenders re-enter at the back) is most often right behind it, so its watch leaves
 * with the create instead of a round trip later. `newest` is the highest sequence in the listing:
 * when the re-entry's create rode in one multi with the release of `ourName` and got `newest + 1`,
 * no node was created under the key since, and `contenders` (the listing without our old node and
 * the nodes the decision ignored) plus the new node is the key's queue: no listing is sent (see
 * docs/design.md, "Re-entry without a listing").
 */
export interface Grant {
  session: ZkSession;
  ourName: string;
  tail: string | undefined;
  newest: number;
  contenders: readonly string[];
}

/**
 * The listing each recent holder was granted by, per key parent ({@link Grant}). A wrong guess costs
 * the usual getData on the real predecessor; a re-entry that cannot use the listing lists.
 */
export class TailGuesses {
  private readonly grants = new Map<string, Grant>();

  /** Remembers what the listing `children` that granted `ourName` the lock says about the queue. */
  granted(
    session: ZkSession,
    parentPath: string,
    children: readonly string[],
    ourName: string,
    ignored: ReadonlySet<string> | undefined,
  ): void {
    let newest = -1;
    let tailSequence = -1;
    let tail: string | undefined;
    const contenders: string[] = [];
    for (const child of children) {
      const sequence = lockSequence(child);
      if (sequence > newest) newest = sequence;
      if (child === ourName || ignored?.has(child)) continue;
      contenders.push(child);
      if (sequence > tailSequence) {
        tailSequence = sequence;
        tail = child;
      }
    }
    if (this.grants.size >= MAX_GUESSES) this.grants.clear();
    this.grants.set(parentPath, { session, ourName, tail, newest, contenders });
  }

  /** The grant kept for `parentPath` on `session` (once per grant), if there is one. */
  take(session: ZkSession, parentPath: string): Grant | undefined {
    const grant = this.grants.get(parentPath);
    if (grant === undefined) return undefined;
    this.grants.delete(parentPath);
    return grant.session === session ? grant : undefined;
  }
}

/**
 * The key's children right after a re-entry's create, known without a listing. The caller checked
 * that `created` rode in one multi with the delete of the node `grant` was granted to; when its
 * sequence follows the newest in that listing, no node was created under the key since (sequence
 * numbers only grow, and the parent could not be replaced: our old node was in it until the multi).
 * Nodes of the listing deleted since may still be in the answer: the predecessor watch finds them
 * gone. `undefined` when the sequence does not follow (list).
 */
export function queueAfterReentry(grant: Grant, created: string): string[] | undefined {
  if (grant.newest < 0 || lockSequence(created) !== grant.newest + 1) return undefined;
  return [...grant.contenders, created];
}
