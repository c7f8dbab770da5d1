/** What the {@link LivenessClock} needs from its session. */
export interface LivenessHooks {
  /** Sends one heartbeat request (`exists('/')`); only whether and when it settles matters. */
  ping(): Promise<unknown>;
  /** Runs on every heartbeat tick, before the heartbeat (the session's overdue-request sweep). */
  tick(): void;
  /** A heartbeat was answered. */
  answered(): void;
  /** A heartbeat went unanswered for a third of the session timeout. */
  silent(): void;
  /** No reply proved the session alive for a whole session timeout: presume it lost. */
  lost(): void;
}

/**
 * Our own liveness clock for a ZooKeeper session, because a paused server is silent (no
 * `disconnected`, no `expired`, requests never call back).
 *
 * A heartbeat goes out every `sessionTimeoutMs / 3`. Every reply the server sends (success or a
 * ZooKeeper error code) proves the server heard us no earlier than the moment that request was
 * SENT, so the session cannot have expired before `lastAnsweredSentAt + sessionTimeoutMs`. When that
 * instant passes without a newer reply, the session is presumed lost: never later than the server
 * could expire it.
 */
export class LivenessClock {
  private lastAnsweredSentAt: number;
  private heartbeatInFlight = false;
  private heartbeatTimer: NodeJS.Timeout | undefined;
  private lostTimer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(
    private readonly sessionTimeoutMs: number,
    connectedSentAt: number,
    private readonly hooks: LivenessHooks,
  ) {
    this.lastAnsweredSentAt = connectedSentAt;
  }

  /** Starts the heartbeat and the lost timer. */
  start(): void {
    this.heartbeatTimer = setInterval(
      () => {
        this.hooks.tick();
        this.beat();
      },
      Math.max(1, Math.floor(this.sessionTimeoutMs / 3)),
    );
    this.heartbeatTimer.unref();
    this.armLostTimer();
  }

  /** Stops both timers for good. */
  stop(): void {
    this.stopped = true;
    clearInterval(this.heartbeatTimer);
    clearTimeout(this.lostTimer);
  }

  /** A reply arrived to a request sent at `sentAt` (performance.now()). */
  noteAnswered(sentAt: number): void {
    if (sentAt > this.lastAnsweredSentAt) this.lastAnsweredSentAt = sentAt;
  }

  /** Milliseconds until the session would be presumed lost if no further reply arrived. */
  msUntilPresumedLost(): number {
    return this.lastAnsweredSentAt + this.sessionTimeoutMs - performance.now();
  }

  /** Sends a heartbeat now unless one is in flight (e.g. right after a reconnect). */
  beat(): void {
    if (this.heartbeatInFlight || this.stopped) return;
    this.heartbeatInFlight = true;
    const silence = setTimeout(() => this.hooks.silent(), Math.max(1, Math.floor(this.sessionTimeoutMs / 3)));
    this.hooks
      .ping()
      .then(
        () => this.hooks.answered(),
        () => undefined, // a missed heartbeat only matters through the clock
      )
      .finally(() => {
        clearTimeout(silence);
        this.heartbeatInFlight = false;
      });
  }

  private armLostTimer(): void {
    clearTimeout(this.lostTimer);
    if (this.stopped) return;
    const remainingMs = this.msUntilPresumedLost();
    if (remainingMs <= 0) {
      this.hooks.lost();
      return;
    }
    this.lostTimer = setTimeout(() => this.armLostTimer(), Math.ceil(remainingMs));
    this.lostTimer.unref();
  }
}
