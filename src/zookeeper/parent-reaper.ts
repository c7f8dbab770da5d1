import { MAX_TIMER_MS } from '../core/deadline.js';
import type { DeleteBatcher } from './delete-batcher.js';
import type { ZooKeeperConnection } from './zookeeper-connection.js';

/**
 * Keeps track of the per-key parent znodes we created and deletes each one once no local
 * contender used it for `lingerMs`, so a key locked again soon costs no parent create/delete (two
 * quorum writes per cycle otherwise). Curator leaves this to a separate reaper too.
 */
export class ParentReaper {
  /**
   * Parents we believe exist (we created a node under them); for an idle one (no local contender),
   * since when (performance.now()). One sweep timer deletes those idle for `lingerMs`.
   */
  private readonly known = new Map<string, number | undefined>();
  private sweep: NodeJS.Timeout | undefined;

  /**
   * @param inUse true while a local contender (or holder) uses the parent: it is never deleted then.
   */
  constructor(
    private readonly zk: ZooKeeperConnection,
    readonly lingerMs: number,
    private readonly inUse: (parentPath: string) => boolean,
    private readonly deletes: DeleteBatcher,
  ) {}

  /** True when we believe `parentPath` exists, so a contender can skip sending its create. */
  assumed(parentPath: string): boolean {
    return this.known.has(parentPath);
  }

  /** Our node was created under `parentPath`: it exists (and is in use). */
  created(parentPath: string): void {
    if (!this.known.has(parentPath)) this.known.set(parentPath, undefined);
  }

  /** Someone else removed `parentPath`: the next contender sends the parent create again. */
  forget(parentPath: string): void {
    this.known.delete(parentPath);
  }

  /** Cancels a pending delete of `parentPath`: a contender is about to use it. */
  keep(parentPath: string): void {
    if (this.known.get(parentPath) !== undefined) this.known.set(parentPath, undefined);
  }

  /**
   * Deletes the key's parent once no local contender used it for `lingerMs`. One sweep timer
   * for all parents: a timer per release was a measurable share of a lock cycle.
   */
  schedule(parentPath: string): void {
    if (this.inUse(parentPath)) return;
    if (this.lingerMs === 0) {
      this.known.delete(parentPath); // deleted right behind our node (see LockRecipe.deleteNode)
      return;
    }
    this.known.set(parentPath, performance.now());
    if (this.sweep === undefined && this.lingerMs <= MAX_TIMER_MS) this.arm(this.lingerMs);
  }

  /** Runs every pending parent delete now. */
  async flush(): Promise<void> {
    clearTimeout(this.sweep);
    this.sweep = undefined;
    const idle = [...this.known].filter(([, idleSince]) => idleSince !== undefined).map(([parentPath]) => parentPath);
    await Promise.all(idle.map((parentPath) => this.deleteParent(parentPath)));
  }

  private arm(delayMs: number): void {
    this.sweep = setTimeout(() => this.sweepNow(), Math.max(1, Math.ceil(delayMs)));
    this.sweep.unref();
  }

  private sweepNow(): void {
    this.sweep = undefined;
    const now = performance.now();
    let nextDue = Infinity;
    for (const [parentPath, idleSince] of this.known) {
      if (idleSince === undefined) continue;
      const due = idleSince + this.lingerMs;
      if (due <= now) void this.deleteParent(parentPath);
      else nextDue = Math.min(nextDue, due);
    }
    if (nextDue - now <= MAX_TIMER_MS) this.arm(nextDue - now);
  }

  private async deleteParent(parentPath: string): Promise<void> {
    if (this.inUse(parentPath)) return; // in use again
    this.known.delete(parentPath);
    if (this.zk.state === 'closed' || this.zk.state === 'lost') return;
    const session = await this.zk.liveSession().catch(() => undefined);
    // NOT_EMPTY (others wait) and NO_NODE (already gone) are both fine; a sweep's deletes go as one multi
    if (session) await this.deletes.remove(session, parentPath).catch(() => undefined);
  }
}
