interface Waiters {
  readonly promise: Promise<void>;
  resolve(): void;
  reject(error: unknown): void;
}

function waiters(): Waiters {
  let resolve!: () => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/**
 * The near cache's read barrier: {@link wait} resolves when a PING sent on the tracking connection
 * AFTER the call was made has been answered, so every invalidation of a write that completed before
 * the call has been applied (tracking-connection.ts says why). Rejects when that PING fails.
 *
 * One PING in flight at a time. Calls made while none is in flight share one sent on the next tick
 * (so that the callers resumed together by one reply share the next); calls made while one is in
 * flight share the one sent when it is answered: the one in flight may have left before they were made.
 * Sequential reads pay one round trip each, 64 concurrent ones about one PING per batch.
 */
export class ReadBarrier {
  readonly #ping: () => Promise<unknown>;
  /** Calls waiting for a PING not sent yet. */
  #next: Waiters | undefined;
  /** Calls waiting for the PING in flight. */
  #current: Waiters | undefined;

  constructor(ping: () => Promise<unknown>) {
    this.#ping = ping;
  }

  /** The promise the next {@link wait} calls share while their PING has not left, else `undefined`. */
  get pending(): Promise<void> | undefined {
    return this.#next?.promise;
  }

  wait(): Promise<void> {
    let next = this.#next;
    if (next === undefined) {
      next = waiters();
      this.#next = next;
      if (this.#current === undefined) process.nextTick(this.#send);
    }
    return next.promise;
  }

  readonly #send = (): void => {
    const sent = this.#next;
    if (sent === undefined) return;
    this.#next = undefined;
    this.#current = sent;
    let ping: Promise<unknown>;
    try {
      ping = this.#ping();
    } catch (error) {
      ping = Promise.reject(error);
    }
    ping.then(
      () => this.#answered(sent, undefined),
      (error: unknown) => this.#answered(sent, error ?? new Error('PING failed')),
    );
  };

  /**
   * Fails every waiting call at once (the tracking connection closed): ioredis may keep a PING written
   * before a close for a resend after a reconnect that never comes, so its answer is not waited for.
   * A late answer of that PING is ignored; the next call sends a new one.
   */
  abort(error: Error): void {
    const { current, next } = { current: this.#current, next: this.#next };
    this.#current = undefined;
    this.#next = undefined;
    current?.reject(error);
    next?.reject(error);
  }

  #answered(sent: Waiters, error: unknown): void {
    if (this.#current !== sent) return; // aborted meanwhile
    this.#current = undefined;
    this.#send(); // those who came while it was in flight: now is after each of them
    if (error === undefined) sent.resolve();
    else sent.reject(error);
  }
}
