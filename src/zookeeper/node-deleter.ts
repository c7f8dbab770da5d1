import { sleep } from '../core/deadline.js';
import { ConnectionError } from '../errors.js';
import type { DeleteBatcher } from './delete-batcher.js';
import type { ParentReaper } from './parent-reaper.js';
import { isZkError, type ZkSession } from './zk-session.js';

/**
 * Deletes contender nodes (released, or abandoned by a contender that gave up) and keeps the
 * deletes still retried in the background, so `settled()` can wait for them.
 */
export class NodeDeleter {
  private readonly backgroundDeletes = new Set<Promise<void>>();

  constructor(
    private readonly parents: ParentReaper,
    private readonly deletes: DeleteBatcher,
  ) {}

  /** Resolves when every background delete (abandoned or retried) has finished: deleted, or the session ended. */
  async settled(): Promise<void> {
    while (this.backgroundDeletes.size > 0) await Promise.allSettled([...this.backgroundDeletes]);
  }

  /**
   * Deletes a contender node; with `parentLingerMs: 0` the key's parent right behind it (NOT_EMPTY
   * when others wait, which is fine), else the parent is the reaper's. A `batched` lock's delete
   * (acquireMany's) joins the other deletes of its turn in one multi; a single lock's leaves at once,
   * so a handoff waits for no batch. On connection loss the delete is retried in the background
   * while the session lives.
   */
  async deleteNode(session: ZkSession, path: string, parentPath: string, batched = false): Promise<void> {
    const eager = this.parents.lingerMs === 0;
    const removed = batched && !eager ? this.deletes.remove(session, path) : session.remove(path);
    if (eager) session.remove(parentPath).catch(() => undefined);
    try {
      await removed;
    } catch (error) {
      if (isZkError(error, 'NO_NODE')) return; // already gone, possibly an expired session
      if (error instanceof ConnectionError) {
        this.retryDeleteInBackground(session, path, parentPath);
        return;
      }
      throw error;
    }
  }

  /** Tracks `work` for {@link settled}; never rejects. */
  inBackground(work: Promise<void>): Promise<void> {
    const run = work.catch(() => undefined);
    this.backgroundDeletes.add(run);
    void run.finally(() => this.backgroundDeletes.delete(run));
    return run;
  }

  private retryDeleteInBackground(session: ZkSession, path: string, parentPath: string): void {
    const pauseMs = Math.max(20, Math.min(500, Math.floor(session.sessionTimeoutMs / 10)));
    this.inBackground(
      (async () => {
        while (session.ended === undefined) {
          await sleep(pauseMs);
          try {
            await session.remove(path);
          } catch (error) {
            if (error instanceof ConnectionError) continue;
            if (!isZkError(error, 'NO_NODE')) return;
          }
          await session.remove(parentPath).catch(() => undefined);
          return;
        }
      })(),
    );
  }
}
