import { zookeeperModule } from './client-module.js';
import type { MultiOp, MultiOutcome } from './multi-op.js';
import type { HeldRequest, RequestPipeline } from './request-pipeline.js';

const { CreateMode } = zookeeperModule;

/**
 * What `createContender` rejects with when the multi it rode in was refused for the delete's sake
 * (our released node was already gone): the multi is atomic, so nothing was created. Create again.
 */
export class ContenderNotCreated extends Error {
  constructor(path: string) {
    super(`the create of ${path} travelled with a refused delete and was not applied`);
    this.name = 'ContenderNotCreated';
  }
}

/** The session operations the fusion is built from (ZkSession's). */
export interface FusionSession {
  remove(path: string): Promise<void>;
  create(path: string, data: Buffer | null, mode: number): Promise<string>;
  multi(ops: readonly MultiOp[]): Promise<MultiOutcome>;
}

interface HeldDelete extends HeldRequest {
  readonly path: string;
  readonly resolve: () => void;
  readonly reject: (error: unknown) => void;
}

const parentOf = (path: string): string => path.slice(0, path.lastIndexOf('/'));

/**
 * A released contender node's delete, and the next contender create under the same parent on the
 * same session, as one ZooKeeper multi: one transaction (one log append and fsync on the server,
 * one reply) instead of two. A process that releases a key and queues for it again at once (a
 * contender re-entering at the back of a contended lock, an uncontended acquire–release loop) does
 * this on every cycle. See docs/design.md, "Release and re-create in one transaction".
 *
 * The delete is held for the rest of the event-loop turn (the turn's requests leave in one write at
 * its end anyway, so this adds no wait), and any other request on the session sends it first: the
 * session's requests keep the order of the calls, the multi taking the delete's place.
 */
export function releaseNode(requests: RequestPipeline, session: FusionSession, path: string): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const held: HeldDelete = {
      group: parentOf(path),
      path,
      resolve,
      reject,
      send: () => session.remove(path).then(resolve, reject),
    };
    if (!requests.hold(held)) held.send();
  });
}

/** The released node whose delete a contender create under `parentPath` would now travel with. */
export function heldRelease(requests: RequestPipeline, parentPath: string): string | undefined {
  return (requests.heldIn(parentPath) as HeldDelete | undefined)?.path;
}

/**
 * Creates an ephemeral-sequential contender node at `path` (a prefix); when a released node's
 * delete under the same parent is held, both go as one multi, the delete first. Outcomes of that
 * multi: applied (both done); the delete refused (our old node was already gone: fine for the
 * delete, and this rejects with {@link ContenderNotCreated}: nothing was created); the create
 * refused (the delete is sent again alone, this rejects with the create's error, as a plain
 * create would); no answer (both reject with the connection error, as they would alone).
 */
export function createContender(
  requests: RequestPipeline,
  session: FusionSession,
  path: string,
  data: Buffer,
): Promise<string> {
  const held = requests.take(parentOf(path)) as HeldDelete | undefined;
  if (!held) return session.create(path, data, CreateMode.EPHEMERAL_SEQUENTIAL);
  const sent = session.multi([{ path: held.path }, { path, data, mode: CreateMode.EPHEMERAL_SEQUENTIAL }]);
  sent.catch(held.reject);
  return sent.then((outcome) => {
    if (outcome.applied) {
      held.resolve();
      return outcome.paths[1]!;
    }
    if (outcome.failedIndex === 0) {
      held.reject(outcome.error);
      throw new ContenderNotCreated(path);
    }
    session.remove(held.path).then(held.resolve, held.reject);
    throw outcome.error;
  });
}
