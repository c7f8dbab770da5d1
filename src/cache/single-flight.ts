/**
 * In-process single-flight: concurrent callers for the same key share one in-flight promise, so a
 * cold key costs this process one lock request and one load no matter how many callers arrive.
 * The entry is removed as soon as the flight settles, so the next caller starts a fresh one.
 */
export class SingleFlight<T> {
  readonly #flights = new Map<string, Promise<T>>();

  /** Joins the flight for `key`, or starts one with `run`. Errors reach every joined caller. */
  run(key: string, run: () => Promise<T>): { promise: Promise<T>; joined: boolean } {
    const existing = this.#flights.get(key);
    if (existing) return { promise: existing, joined: true };
    const promise = (async () => {
      try {
        return await run();
      } finally {
        this.#flights.delete(key);
      }
    })();
    this.#flights.set(key, promise);
    return { promise, joined: false };
  }

  /** Number of keys with a flight in progress. */
  get size(): number {
    return this.#flights.size;
  }
}
