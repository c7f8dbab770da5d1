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
 * The newest contender node each recent holder saw in the listing that granted it the lock. A
 * holder that releases and queues for the key again at once (a busy key's contenders re-enter at
 * the back) is most often right behind that node: no one else created a node in between. Its watch
 * then leaves with its create and listing instead of a round trip later (one request and one
 * socket write fewer per re-entry); a wrong guess costs the usual getData on the real predecessor.
 */
export class TailGuesses {
  private readonly tails = new Map<string, { session: ZkSession; name: string }>();

  /** Remembers the newest contender in `children` other than `ourName` (none: nothing to guess). */
  granted(
    session: ZkSession,
    parentPath: string,
    children: readonly string[],
    ourName: string,
    ignored: ReadonlySet<string> | undefined,
  ): void {
    let newest = -1;
    let name: string | undefined;
    for (const child of children) {
      const sequence = child === ourName || ignored?.has(child) ? -1 : lockSequence(child);
      if (sequence > newest) {
        newest = sequence;
        name = child;
      }
    }
    if (name === undefined) return;
    if (this.tails.size >= MAX_GUESSES) this.tails.clear();
    this.tails.set(parentPath, { session, name });
  }

  /** Sets a watch on the guessed tail of `parentPath` on `session` (once per grant), if there is one. */
  watchGuess(session: ZkSession, parentPath: string): PredecessorWatch | undefined {
    const tail = this.tails.get(parentPath);
    if (tail === undefined) return undefined;
    this.tails.delete(parentPath);
    return tail.session === session ? new PredecessorWatch(session, `${parentPath}/${tail.name}`) : undefined;
  }
}
