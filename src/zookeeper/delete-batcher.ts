import type { ZkSession } from './zk-session.js';

/** Most deletes in one multi (a few hundred bytes each, far below ZooKeeper's 1 MB request limit). */
export const MAX_OPS_PER_MULTI = 512;

interface QueuedDelete {
  path: string;
  resolve: () => void;
  reject: (error: unknown) => void;
}

/**
 * Deletes that are expected to succeed (released contender nodes, idle key parents), gathered per
 * event-loop turn and sent as one ZooKeeper multi: the server's cost is per request far more than
 * per op, so a batch of 500 releases costs about what one does. A refused multi (a node already
 * gone, a parent that got a child) changes nothing, and its deletes are then sent one by one, so
 * each caller gets its own answer exactly as with `session.remove`.
 */
export class DeleteBatcher {
  private readonly queued = new Map<ZkSession, QueuedDelete[]>();

  /** Like `session.remove(path)`; deletes asked for in the same turn travel together. */
  remove(session: ZkSession, path: string): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      let queue = this.queued.get(session);
      if (!queue) {
        queue = [];
        this.queued.set(session, queue);
        process.nextTick(() => this.flush(session));
      }
      queue.push({ path, resolve, reject });
    });
  }

  private flush(session: ZkSession): void {
    const queue = this.queued.get(session) ?? [];
    this.queued.delete(session);
    for (let i = 0; i < queue.length; i += MAX_OPS_PER_MULTI) sendGroup(session, queue.slice(i, i + MAX_OPS_PER_MULTI));
  }
}

function sendGroup(session: ZkSession, group: QueuedDelete[]): void {
  if (group.length === 1) {
    one(session, group[0]!);
    return;
  }
  session.multi(group.map(({ path }) => ({ path }))).then(
    (outcome) => {
      if (outcome.applied) for (const d of group) d.resolve();
      else for (const d of group) one(session, d);
    },
    (error: unknown) => {
      for (const d of group) d.reject(error);
    },
  );
}

function one(session: ZkSession, d: QueuedDelete): void {
  session.remove(d.path).then(d.resolve, d.reject);
}
