import { LockLostError, type LockLostReason } from '../errors.js';
import type { ZkSession } from './zk-session.js';

/**
 * A held lock. Release it with `release()` or `await using`; both are idempotent.
 * `signal` aborts (reason: {@link LockLostError}) when the lock can no longer be trusted; it stays
 * un-aborted after a normal release.
 */
export interface Lock extends AsyncDisposable {
  /** The key as given to `acquire()`. */
  readonly key: string;
  /** Full path of our contender znode. */
  readonly path: string;
  /** Id (16 hex digits) of the session that owns the znode. */
  readonly sessionId: string;
  /** When the lock was granted. */
  readonly acquiredAt: Date;
  /** Milliseconds from the `acquire()` call until the lock was granted (local queue included). */
  readonly waitedMs: number;
  /**
   * Aborted with a LockLostError when the session expires, is presumed lost, or (policy) suspends,
   * or when someone else deletes our znode (`node-deleted`; watched from the first read of `signal`).
   */
  readonly signal: AbortSignal;
  /** True from the moment `release()` is called (lost or not). */
  readonly released: boolean;
  /**
   * Ends the lock: sends the znode's delete and hands the key to the next contender of this
   * process, then resolves at once, without waiting for ZooKeeper to answer the delete (no other
   * session can be granted the key before the delete commits; `locks.settled()` waits for it).
   * Idempotent; never rejects. A lost connection is retried in the background while the session
   * lives (the node dies with the session anyway); a refusal (e.g. NO_AUTH) is reported by the
   * manager's `release-failed` event.
   */
  release(): Promise<void>;
}

/** The {@link Lock} implementation; created only by LockManager. */
export class HeldLock implements Lock {
  readonly acquiredAt = new Date();
  // Created on first use of `signal`: an AbortController costs about 3 µs, on every acquire of a
  // caller that never looks at it.
  private controller: AbortController | undefined;
  private lostReason: LockLostError | undefined;
  private releasing: Promise<void> | undefined;

  constructor(
    readonly key: string,
    readonly path: string,
    readonly session: ZkSession,
    readonly waitedMs: number,
    private readonly onRelease: (lock: HeldLock) => Promise<void>,
    /** Called once, when `signal` is first looked at: losses nobody can observe need no watch. */
    private readonly onWatched?: () => void,
  ) {}

  get sessionId(): string {
    return this.session.sessionId;
  }

  get signal(): AbortSignal {
    if (!this.controller) {
      this.controller = new AbortController();
      if (this.lostReason) this.controller.abort(this.lostReason);
      else if (!this.released) this.onWatched?.();
    }
    return this.controller.signal;
  }

  get released(): boolean {
    return this.releasing !== undefined;
  }

  release(): Promise<void> {
    this.releasing ??= this.onRelease(this);
    return this.releasing;
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.release();
  }

  /** Tells the holder the lock is gone (first reason wins). */
  markLost(reason: LockLostReason, cause?: unknown): void {
    if (this.lostReason || this.released) return;
    this.lostReason = new LockLostError(this.key, reason, cause === undefined ? undefined : { cause });
    this.controller?.abort(this.lostReason);
  }
}
