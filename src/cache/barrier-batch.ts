/** One key's read in a barrier batch, and how many callers share it. */
export interface SharedRead<R> {
  promise: Promise<R>;
  callers: number;
}

/**
 * The reads of one key that wait for the same barrier PING share one lookup and one decoded entry,
 * like InFlightReads' joined callers (treat the value as read-only). Each of them started before that
 * PING was sent, so the shared answer is exactly what each would have got alone; a caller that comes
 * once the PING has left waits for the next one and gets its own. Keyed by the barrier's promise: one
 * per batch (ReadBarrier).
 */
export class BarrierBatch<R> {
  #barrier: Promise<void> | undefined;
  readonly #reads = new Map<string, SharedRead<R>>();

  /** The read of `key` already waiting for `barrier`, one more caller counted; `undefined` if none. */
  join(barrier: Promise<void>, key: string): Promise<R> | undefined {
    if (barrier !== this.#barrier) {
      this.#barrier = barrier;
      this.#reads.clear(); // the previous batch's PING has left: nobody may join it now
      return undefined;
    }
    const shared = this.#reads.get(key);
    if (shared === undefined) return undefined;
    shared.callers += 1;
    return shared.promise;
  }

  /** Records the first read of `key` waiting for the current barrier. */
  add(key: string, shared: SharedRead<R>): void {
    this.#reads.set(key, shared);
  }
}
