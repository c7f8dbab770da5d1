import { sleep } from '../core/deadline.js';
import { ConnectionError } from '../errors.js';
import type { DeleteBatcher } from './delete-batcher.js';
import type { ParentReaper } from './parent-reaper.js';
import { isZkError, type ZkSession } from './zk-session.js';

/**
 * Deletes contender nodes (released, or abandoned by a contender that gave up) and counts the
 * deletes not yet answered (a release's, or one retried in the background), so `settled()` can
 * wait for them.
 */
export class NodeDeleter {
  /** Deletes sent or retried and not yet finished; a count, not a set: this is on every release. */
  private pending = 0;
  private idleWaiters: Array<() => void> = [];
  private readonly finished = (): void => {
    if (--this.pending > 0) return;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const wake of waiters) wake();
  };

  constructor(
    private readonly parents: ParentReaper,
    private readonly deletes: DeleteBatcher,
  ) {}

  /** Resolves when every tracked delete has finished: deleted (answered), or the session ended. */
  settled(): Promise<void> {
    if (this.pending === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /**
   * Sends a released node's delete now (before the caller hands the key's local turn on, so a
   * contender of this process pipelines its create behind it) and tracks the answer for
   * `settled()` without waiting for it. `onFailed` gets a refusal other than NO_NODE or a lost
   * connection (those are fine, or retried), e.g. NO_AUTH.
   */
  release(
    session: ZkSession,
    path: string,
    parentPath: string,
    batched: boolean,
    onFailed: (e: unknown) => void,
  ): void {
    this.inBackground(this.deleteNode(session, path, parentPath, batched, onFailed).then(undefined, onFailed));
  }

  /**
   * Deletes a contender node; with `parentLingerMs: 0` the key's parent right behind it (NOT_EMPTY
   * when others wait, which is fine), else the parent is the reaper's. A `batched` lock's delete
   * (acquireMany's) joins the other deletes of its turn in one multi; a single lock's leaves in its
   * own turn's write (in one multi with the next create of the key on the session, if that comes
   * first: fused-release.ts), so a handoff waits for no batch. On connection loss the delete is
   * retried in the background while the session lives (a refusal there goes to `onRetryFailed`).
   */
  deleteNode(
    session: ZkSession,
    path: string,
    parentPath: string,
    batched = false,
    onRetryFailed?: (e: unknown) => void,
  ): Promise<void> {
    const eager = this.parents.lingerMs === 0;
    const removed = eager
      ? session.remove(path)
      : batched
        ? this.deletes.remove(session, path)
        : session.releaseNode(path);
    if (eager) session.remove(parentPath).catch(() => undefined);
    return removed.then(undefined, (error: unknown) => {
      if (isZkError(error, 'NO_NODE')) return; // already gone, possibly an expired session
      if (error instanceof ConnectionError) {
        this.retryDeleteInBackground(session, path, parentPath, onRetryFailed);
        return;
      }
      throw error;
    });
  }

  /** Tracks `work` for {@link settled}; never rejects. */
  inBackground(work: Promise<void>): Promise<void> {
    this.pending++;
    const run = work.catch(() => undefined);
    void run.then(this.finished);
    return run;
  }

  private retryDeleteInBackground(
    session: ZkSession,
    path: string,
    parentPath: string,
    onFailed: ((e: unknown) => void) | undefined,
  ): void {
    const pauseMs = Math.max(20, Math.min(500, Math.floor(session.sessionTimeoutMs / 10)));
    this.inBackground(
      (async () => {
        while (session.ended === undefined) {
          await sleep(pauseMs);
          try {
            await session.remove(path);
          } catch (error) {
            if (error instanceof ConnectionError) continue;
            if (!isZkError(error, 'NO_NODE')) {
              onFailed?.(error);
              return;
            }
          }
          await session.remove(parentPath).catch(() => undefined);
          return;
        }
      })(),
    );
  }
}
