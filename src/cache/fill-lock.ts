import type { Lock } from '../zookeeper/held-lock.js';
import type { LockManager } from '../zookeeper/lock-manager.js';
import type { ConnectionState, ZooKeeperConnection } from '../zookeeper/zookeeper-connection.js';

/**
 * Takes the key's lock for a fill. With `failOpen`, a fill does not wait for an unreachable
 * ZooKeeper: it resolves `undefined` (fill without the lock; the compare script still fences the
 * write) when the connection is not `connected` when the fill starts, or stops being `connected`
 * while it waits.
 *
 * Why the connection state and not the lock's outcome: a LockTimeoutError cannot tell a long queue
 * from a silent server, and skipping the lock on contention would turn every hot key into N loads.
 * The state says which it is: `suspended` (no heartbeat answered), `lost` (session gone) and `closed`
 * are about the server; while `connected`, a wait is contention and ends, as without failOpen, with
 * the lock or LockTimeoutError.
 */
export async function lockForFill(
  locks: LockManager,
  zk: ZooKeeperConnection,
  key: string,
  timeoutMs: number,
  failOpen: boolean,
): Promise<Lock | undefined> {
  if (!failOpen) return locks.acquire(key, { timeoutMs });
  if (zk.state !== 'connected') return undefined;
  let onState: ((state: ConnectionState) => void) | undefined;
  const unreachable = new Promise<undefined>((resolve) => {
    onState = (state) => {
      if (state !== 'connected') resolve(undefined);
    };
    zk.on('state', onState);
  });
  const acquiring = locks.acquire(key, { timeoutMs });
  try {
    const lock = await Promise.race([acquiring, unreachable]);
    if (lock === undefined) {
      // Do not wait for the acquire to give up (it may wait for the server to delete our node);
      // if it succeeds after all, let the lock go at once.
      acquiring.then(
        (late) => Promise.resolve(late[Symbol.asyncDispose]()).catch(() => undefined),
        () => undefined,
      );
    }
    return lock;
  } finally {
    if (onState) zk.off('state', onState);
  }
}
