import { sleep } from '../core/deadline.js';
import { ConnectionError } from '../errors.js';
import type { Contender } from './contender.js';
import { parseLockName, sortLockNames } from './lock-node-name.js';
import type { NodeDeleter } from './node-deleter.js';
import { isZkError, type ZkSession } from './zk-session.js';

/**
 * Fault injection for tests. `afterCreate` runs after the server created our contender node and
 * before we use its path; throwing a ConnectionError there is a create whose reply was lost.
 * `beforeSearch` runs before protected mode lists the key's children to find our node: throwing a
 * ConnectionError there is a search lost with the connection; returning `'missed'` is a search
 * served (by another server of the ensemble) before our lost create was applied there.
 */
export interface LockTestHooks {
  afterCreate?(path: string): void | Promise<void>;
  beforeSearch?(): undefined | 'missed' | Promise<undefined | 'missed'>;
}

/**
 * Curator's protected mode: every node a contender creates carries its uuid, so a create whose
 * reply was lost can be found by listing. Returns the lowest of ours (several when a create was
 * repeated after a search that missed; {@link ourOrphans} takes care of the rest).
 */
export async function findOurNode(session: ZkSession, c: Contender, hooks: LockTestHooks): Promise<string | undefined> {
  if ((await hooks.beforeSearch?.()) === 'missed') return undefined;
  let children: string[];
  try {
    children = await session.getChildren(c.parentPath);
  } catch (error) {
    if (isZkError(error, 'NO_NODE')) return undefined;
    throw error;
  }
  const ours = sortLockNames(children).find((lock) => lock.uuid === c.uuid);
  return ours === undefined ? undefined : `${c.parentPath}/${ours.name}`;
}

/**
 * Nodes in `children` that carry our uuid but are not our current node: left by a create whose
 * reply was lost and that the search for it did not see (the server that answered the search had
 * not applied it yet; or a presumed-lost session's node, alive until the server expires it). Nobody
 * holds them (the uuid is this acquire's), yet any of them lower than our node would be the
 * predecessor we wait for, and since nobody ever deletes it, we would wait for our own node until
 * the session ends, and every other contender of the key with us.
 */
export function ourOrphans(c: Contender, children: readonly string[], ourName: string): string[] {
  const orphans: string[] = [];
  // every listing runs this: a prefix test, not a parse (the prefix is `_c_<uuid>-lock-`)
  for (const name of children) {
    if (name !== ourName && name.startsWith(c.prefix)) orphans.push(name);
  }
  return orphans;
}

/** Deletes orphans of ours in the background (tracked for `settled()`); a gone one is fine. */
export function deleteOrphans(
  deleter: NodeDeleter,
  session: ZkSession,
  c: Contender,
  orphans: readonly string[],
): void {
  for (const name of orphans) {
    deleter.inBackground(deleter.deleteNode(session, `${c.parentPath}/${name}`, c.parentPath));
  }
}

/**
 * After a contender gave up with a create whose reply it never saw: finds and deletes every node
 * that carries its uuid, listing again while the connection is down, for as long as the session
 * lives (its nodes die with it). Giving up on the first failed listing, as before, left a node
 * owned by a live session at the head of the queue: the key stayed locked for everyone.
 */
export async function sweepOurNodes(
  deleter: NodeDeleter,
  session: ZkSession,
  c: Contender,
  hooks: LockTestHooks,
): Promise<void> {
  const pauseMs = Math.max(20, Math.min(500, Math.floor(session.sessionTimeoutMs / 10)));
  while (session.ended === undefined) {
    let children: string[];
    try {
      await hooks.beforeSearch?.();
      children = await session.getChildren(c.parentPath);
    } catch (error) {
      if (isZkError(error, 'NO_NODE')) return;
      if (!(error instanceof ConnectionError)) return;
      await sleep(pauseMs);
      continue;
    }
    const ours = children.filter((name) => parseLockName(name)?.uuid === c.uuid);
    await Promise.all(
      ours.map((name) => deleter.deleteNode(session, `${c.parentPath}/${name}`, c.parentPath).catch(() => undefined)),
    );
    return;
  }
}
