import { settlesWithin, sleep } from '../core/deadline.js';
import { ConnectionError } from '../errors.js';
import { zookeeperModule } from './client-module.js';
import { type Contender, firstWithoutListing, watchOwnNode } from './contender.js';
import { adoptBatchNode, type BatchNode } from './contender-batch.js';
import type { ForeignChildren } from './foreign-children.js';
import { ContenderNotCreated } from './fused-release.js';
import { type Interruption, SESSION_ENDED } from './interruption.js';
import { getsTheLock } from './lock-node-name.js';
import { isPersistent } from './lock-state.js';
import type { NodeDeleter } from './node-deleter.js';
import type { ParentReaper } from './parent-reaper.js';
import { PredecessorWatch, queueAfterReentry, TailGuesses, watchPredecessor } from './predecessor-watch.js';
import { deleteOrphans, findOurNode, type LockTestHooks, ourOrphans, sweepOurNodes } from './protected-mode.js';
import { isZkError, type ZkSession } from './zk-session.js';
import type { ZooKeeperConnection } from './zookeeper-connection.js';

const { CreateMode } = zookeeperModule;

/**
 * Where tests put fault-injection hooks ({@link LockTestHooks}) in a LockManager's options: a
 * symbol, not a documented option, so the public API has no test-only member
 * (`{ root, [LOCK_TEST_HOOKS]: { afterCreate } }`).
 */
export const LOCK_TEST_HOOKS: unique symbol = Symbol.for('zk-ordered-cache.lockTestHooks');

export type { LockTestHooks } from './protected-mode.js';

/**
 * How long a contender that gave up waits for its node's delete before it rejects. A server that
 * answers deletes it well within this, so the caller sees no node left; a silent one must not
 * stretch the caller's `timeoutMs` to the session timeout: the delete goes on in the background.
 */
const ABANDON_GRACE_MS = 250;

/**
 * The znode side of the lock, Curator's `LockInternals`: create a protected ephemeral-sequential
 * node, list the key's children, decide with {@link getsTheLock} (the pure
 * `StandardLockInternalsDriver` counterpart), watch the predecessor, repeat; and abandon or delete
 * the node afterwards. Knows nothing of local turns or held locks (that is the LockManager's).
 */
export class LockRecipe {
  private readonly tails = new TailGuesses();

  /**
   * @param onRecreated told when a waiter's node was deleted by someone else and it queues again.
   * @param foreign the children of key parents known not to be contenders.
   */
  constructor(
    private readonly zk: ZooKeeperConnection,
    private readonly root: string,
    private readonly parents: ParentReaper,
    private readonly hooks: LockTestHooks,
    private readonly onRecreated: (key: string, deletedPath: string) => void,
    private readonly foreign: ForeignChildren,
    private readonly deleter: NodeDeleter,
  ) {}

  /**
   * The recipe: create (protected) → list → hold or watch the predecessor → repeat. With `batched`,
   * the first create is a {@link ContenderBatch}'s: its node (and listing) is taken over.
   */
  async contend(
    c: Contender,
    interruption: Interruption,
    batched?: Promise<BatchNode>,
  ): Promise<{ session: ZkSession; path: string }> {
    for (;;) {
      interruption.bindSession(undefined);
      const session = await interruption.race(this.zk.liveSession());
      interruption.bindSession(session);
      c.path = undefined;
      c.createInFlight = undefined;
      // a delete seen for the ended session's node says nothing about the next one: kept, it made
      // the new node look vanished, and a second node queued behind it waited for its own turn
      c.deletedPath = undefined;
      let fromBatch = batched;
      batched = undefined; // the first session only: a node of an ended session is gone with it
      try {
        for (;;) {
          try {
            let children: string[] | undefined;
            if (fromBatch) {
              const node = fromBatch;
              fromBatch = undefined;
              children = await adoptBatchNode(session, c, node, interruption, this.hooks);
            }
            if (c.path === undefined) children = await this.createOurNode(session, c, interruption);
            const path = c.path!;
            const outcome = await this.waitUntilFirst(session, c, path, children, interruption);
            if (outcome === 'acquired') return { session, path };
            // our node vanished under a live session: start over with a new node, at the back
            this.onRecreated(c.key, path);
          } catch (error) {
            // a dropped connection under a live session: our node (if any) is still queued, keep going
            if (!(error instanceof ConnectionError) || session.ended !== undefined) throw error;
            await interruption.race(sleep(Math.min(100, Math.ceil(session.sessionTimeoutMs / 20))));
          }
        }
      } catch (error) {
        if (error === SESSION_ENDED && !interruption.error) continue; // its ephemeral node dies with it
        c.abandoned = this.deleter.inBackground(this.abandon(session, c));
        await settlesWithin(c.abandoned, ABANDON_GRACE_MS);
        throw error === SESSION_ENDED ? interruption.error : error;
      }
    }
  }

  /**
   * Sends create-parent, create-node and getChildren back to back (ZooKeeper answers a session's
   * requests in order, so this is one round trip and the listing already includes our node).
   * Sets `c.path`; resolves with the listing, or `undefined` when it failed (list again).
   */
  private async createOurNode(
    session: ZkSession,
    c: Contender,
    interruption: Interruption,
  ): Promise<string[] | undefined> {
    for (;;) {
      if (c.replyLost) {
        // a create of ours may have landed unseen: look for it before sending another
        const found = await interruption.race(findOurNode(session, c, this.hooks));
        c.replyLost = false;
        if (found) {
          c.path = found;
          return undefined;
        }
      }
      // NODE_EXISTS is the usual answer; NO_NODE means the root itself is missing (handled below).
      const parentAssumed = this.parents.assumed(c.parentPath);
      // resolves with the refusal (NODE_EXISTS mostly), kept to tell a missing root from a refused parent
      const parentRefusal = parentAssumed
        ? undefined
        : session.create(c.parentPath, null, CreateMode.PERSISTENT).then(
            () => undefined,
            (error: unknown) => error,
          );
      // what our last grant's listing said about the key, and the node our create's multi will delete
      const grant = parentAssumed ? this.tails.take(session, c.parentPath) : undefined;
      const fusedWith = grant && session.heldRelease(c.parentPath);
      // rides in one multi with this session's release of a node of the key, when one was just made
      const created = session.createContender(`${c.parentPath}/${c.prefix}`, c.data);
      const afterCreate = this.hooks.afterCreate;
      c.createInFlight = afterCreate
        ? created.then(async (path) => {
            await afterCreate(path);
            return path;
          })
        : created;
      // re-entering right after our release: the grant's listing may still be the queue (no listing)
      const reentry = grant && fusedWith === `${c.parentPath}/${grant.ourName}` ? grant : undefined;
      const listed = reentry ? undefined : session.getChildren(c.parentPath);
      // the node we saw last as the newest is most often the one we now queue behind: watch it now
      c.guessedWatch = grant?.tail ? new PredecessorWatch(session, `${c.parentPath}/${grant.tail}`) : undefined;
      try {
        c.path = await interruption.race(c.createInFlight);
      } catch (error) {
        listed?.catch(() => undefined);
        if (error instanceof ContenderNotCreated) continue; // its multi applied nothing
        if (isZkError(error, 'NO_NODE') && parentAssumed) {
          this.parents.forget(c.parentPath); // someone else removed it: send the parent create next time
          continue;
        }
        if (isZkError(error, 'NO_NODE')) {
          // the root's ACL refused our parent: retrying would spin until the timeout
          const refusal = await interruption.race(parentRefusal ?? Promise.resolve(undefined));
          if (isZkError(refusal, 'NO_AUTH')) throw refusal;
          await interruption.race(session.mkdirp(this.root)); // the root is missing: make it, then try again
          continue;
        }
        if (error instanceof ConnectionError && session.ended === undefined) {
          // the reply was lost, the node may exist: Curator's protected mode finds it by our uuid
          // (at the top of the loop; a search lost too is repeated before any new create)
          c.replyLost = true;
          c.orphanRisk = true;
          continue;
        }
        throw error;
      }
      if (!parentAssumed) this.parents.created(c.parentPath);
      if (reentry) return queueAfterReentry(reentry, c.path!.slice(c.parentPath.length + 1));
      try {
        return await interruption.race(listed!);
      } catch (error) {
        if (error === SESSION_ENDED || error === interruption.error) throw error;
        return undefined; // waitUntilFirst lists again
      }
    }
  }

  /** Curator's internalLockLoop: hold when first, else wait for the predecessor to change. */
  private async waitUntilFirst(
    session: ZkSession,
    c: Contender,
    path: string,
    listed: string[] | undefined,
    interruption: Interruption,
  ): Promise<'acquired' | 'vanished'> {
    const ourName = path.slice(c.parentPath.length + 1);
    let children = listed;
    let wake: () => void = () => undefined;
    // ZooKeeper delivers our node's delete event before any later reply, so a deletion is either
    // missing from the next listing or wakes the predecessor wait below
    c.onDeleted = () => wake();
    for (;;) {
      children ??= await interruption.race(session.getChildren(c.parentPath));
      this.foreign.reportMalformed(c.key, c.parentPath, children);
      let ignored = this.foreign.ignoredUnder(c.parentPath);
      const orphans = ourOrphans(c, children, ourName);
      if (orphans.length > 0) {
        deleteOrphans(this.deleter, session, c, orphans);
        ignored = new Set([...(ignored ?? []), ...orphans]);
      }
      const turn = getsTheLock(children, ourName, ignored);
      const lastListing = children;
      children = undefined;
      if (turn.getsTheLock && c.deletedPath !== path) {
        this.tails.granted(session, c.parentPath, lastListing, ourName, ignored);
        return 'acquired';
      }
      if (turn.pathToWatch === undefined || c.deletedPath === path) {
        // our node is gone (its watch said so, or the listing lacks it) while the session lives
        c.path = undefined;
        c.createInFlight = undefined;
        c.deletedPath = undefined;
        return 'vanished';
      }
      const woken = new Promise<void>((resolve) => (wake = resolve));
      const predecessor = `${c.parentPath}/${turn.pathToWatch}`;
      // Next in line: watch our own node too, so the handoff needs no listing (further back, the
      // next listing notices a deleted node, as Curator does)
      if (turn.ourIndex === 1) watchOwnNode(session, c);
      const watch = watchPredecessor(session, c, predecessor);
      watch.listen(() => wake());
      try {
        const { stat } = await interruption.race(watch.reply);
        if (isPersistent(stat)) {
          // not a contender (anyone may create nodes under an open ACL): it would never go away
          this.foreign.ignore(c.key, c.parentPath, turn.pathToWatch);
          children = lastListing;
          continue;
        }
      } catch (error) {
        if (!isZkError(error, 'NO_NODE')) throw error;
        // the predecessor left between list and watch
        if (firstWithoutListing(c, path, turn.ourIndex)) return 'acquired';
        continue;
      }
      await interruption.race(woken);
      if (watch.deleted && firstWithoutListing(c, path, turn.ourIndex)) return 'acquired';
    }
  }

  /**
   * Deletes our node after a timeout, abort or error; a create still in flight is waited for first.
   * After a lost create reply every node with our uuid goes (see sweepOurNodes).
   */
  private async abandon(session: ZkSession, c: Contender): Promise<void> {
    if (session.ended !== undefined) return;
    if (c.path === undefined && c.createInFlight) {
      c.path = await c.createInFlight.then(
        (path) => path,
        () => {
          c.orphanRisk = true;
          return undefined;
        },
      );
    }
    if (c.orphanRisk) await sweepOurNodes(this.deleter, session, c, this.hooks);
    else if (c.path !== undefined) await this.deleter.deleteNode(session, c.path, c.parentPath).catch(() => undefined);
    this.parents.schedule(c.parentPath);
  }
}
