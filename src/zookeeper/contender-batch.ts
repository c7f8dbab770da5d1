import { ConnectionError } from '../errors.js';
import { zookeeperModule } from './client-module.js';
import type { Contender } from './contender.js';
import { MAX_OPS_PER_MULTI } from './delete-batcher.js';
import type { Interruption } from './interruption.js';
import type { MultiOp } from './multi-op.js';
import type { ParentReaper } from './parent-reaper.js';
import { findOurNode, type LockTestHooks } from './protected-mode.js';
import { isZkError, type ZkSession } from './zk-session.js';
import type { ZooKeeperConnection } from './zookeeper-connection.js';

const { CreateMode } = zookeeperModule;

/** What the batch did for one contender, for {@link LockRecipe.contend} to take over. */
export interface BatchNode {
  /** The session the multi went on (a node of an ended session is gone with it). */
  session: ZkSession | undefined;
  /** Our node, when the batch created it. */
  path?: string;
  /** The key's children right after our create, when known (see {@link ContenderBatch}). */
  listing?: string[];
  /** The multi's reply was lost: our node may exist (the recipe finds it by its uuid). */
  unknown?: boolean;
}

interface Item {
  c: Contender;
  /** We know of no parent for the key: its create goes in the multi, in front of ours. */
  fresh: boolean;
  tries: number;
  done: (node: BatchNode) => void;
}

/** A multi refused for one item is sent again without it at most this often per item. */
const MAX_TRIES = 3;

/**
 * The contender creates of many keys, sent as few ZooKeeper multis instead of a create (and a
 * parent create, and a listing) per key: the server's cost is per request far more than per op.
 *
 * A key whose parent we do not know to exist gets `create parent; create contender` in the multi.
 * A multi is atomic, so when it applies, the parent was created empty by it and our node is its
 * only child: the lowest sequence, the lock is ours with no listing (the listing is `[our node]`).
 * A key whose parent we know gets only its contender create, and lists as usual. An op refused
 * (the parent exists after all: NODE_EXISTS; a known parent went: NO_NODE) fails the whole multi
 * and changes nothing: that key creates its node alone, the rest are sent again (a few times at
 * most); a missing lock root is made once and the multi sent again. Anything else, and a multi that finds no session, sends every key of it the usual way.
 * See docs/design.md, "Batched acquisition".
 */
export class ContenderBatch {
  private items: Item[] | undefined = [];

  constructor(
    private readonly zk: ZooKeeperConnection,
    private readonly root: string,
    private readonly parents: ParentReaper,
  ) {}

  /** Queues `c`'s create; `undefined` once the batch is sealed (the contender creates its node alone). */
  add(c: Contender): Promise<BatchNode> | undefined {
    const items = this.items;
    if (!items) return undefined;
    const fresh = !this.parents.assumed(c.parentPath);
    return new Promise<BatchNode>((done) => items.push({ c, fresh, tries: 0, done }));
  }

  /** Sends what was added; later adds are refused. */
  seal(): void {
    const items = this.items ?? [];
    this.items = undefined;
    if (items.length > 0) void this.send(items);
  }

  private async send(items: Item[]): Promise<void> {
    const session = await this.zk.liveSession().catch(() => undefined);
    if (!session) {
      for (const item of items) item.done({ session: undefined });
      return;
    }
    for (const fresh of [true, false]) {
      const group = items.filter((item) => item.fresh === fresh);
      const perMulti = Math.floor(MAX_OPS_PER_MULTI / (fresh ? 2 : 1));
      for (let i = 0; i < group.length; i += perMulti) this.sendMulti(session, group.slice(i, i + perMulti));
    }
  }

  private sendMulti(session: ZkSession, items: Item[]): void {
    const ops: MultiOp[] = [];
    const firstOp: number[] = [];
    for (const { c, fresh } of items) {
      firstOp.push(ops.length);
      if (fresh) ops.push({ path: c.parentPath, data: null, mode: CreateMode.PERSISTENT });
      ops.push({ path: `${c.parentPath}/${c.prefix}`, data: c.data, mode: CreateMode.EPHEMERAL_SEQUENTIAL });
    }
    session.multi(ops).then(
      (outcome) => {
        if (outcome.applied) {
          items.forEach(({ c, fresh, done }, j) => {
            const path = outcome.paths[firstOp[j]! + (fresh ? 1 : 0)]!;
            if (fresh) this.parents.created(c.parentPath);
            done({ session, path, listing: fresh ? [path.slice(c.parentPath.length + 1)] : undefined });
          });
          return;
        }
        let k = 0;
        while (k + 1 < items.length && firstOp[k + 1]! <= outcome.failedIndex) k++;
        const refused = items[k]!;
        const { error } = outcome;
        if (isZkError(error, 'NO_NODE') && refused.fresh) {
          // the lock root itself is missing (a new namespace): make it once, then the same multi again
          if (++refused.tries < MAX_TRIES) void this.afterRoot(session, items);
          else for (const item of items) item.done({ session });
          return;
        }
        refused.done({ session });
        const keyOnly = isZkError(error, 'NODE_EXISTS') || isZkError(error, 'NO_NODE');
        if (isZkError(error, 'NO_NODE')) this.parents.forget(refused.c.parentPath);
        for (const part of [items.slice(0, k), items.slice(k + 1)]) {
          const again: Item[] = [];
          for (const item of part) {
            if (keyOnly && ++item.tries < MAX_TRIES) again.push(item);
            else item.done({ session });
          }
          if (again.length > 0) this.sendMulti(session, again);
        }
      },
      () => {
        for (const item of items) item.done({ session, unknown: true });
      },
    );
  }

  private async afterRoot(session: ZkSession, items: Item[]): Promise<void> {
    try {
      await session.mkdirp(this.root);
    } catch {
      for (const item of items) item.done({ session }); // e.g. NO_AUTH: each contender reports it
      return;
    }
    this.sendMulti(session, items);
  }
}

/**
 * Takes over the node a batch created for `c`: sets `c.path` and resolves with the listing when
 * the batch knows it. Leaves `c.path` unset when the batch created nothing (or on another session):
 * the usual create follows. A lost multi reply is protected mode's case: find our node by uuid.
 */
export async function adoptBatchNode(
  session: ZkSession,
  c: Contender,
  batched: Promise<BatchNode>,
  interruption: Interruption,
  hooks: LockTestHooks,
): Promise<string[] | undefined> {
  // for abandon(): the node to delete if we give up while the multi is in flight
  c.createInFlight = batched.then((node) => {
    if (node.path !== undefined && node.session === session) return node.path;
    throw new ConnectionError('zookeeper', 'the batch left no known node for this contender');
  });
  c.createInFlight.catch(() => undefined);
  const node = await interruption.race(batched);
  c.createInFlight = undefined;
  if (node.session !== session) return undefined;
  if (node.path !== undefined) {
    c.path = node.path;
    return node.listing;
  }
  if (node.unknown) {
    c.replyLost = true;
    c.orphanRisk = true;
    c.path = await interruption.race(findOurNode(session, c, hooks));
    c.replyLost = false;
  }
  return undefined;
}
