/**
 * In-flight read coalescing: concurrent reads of one key share one Redis read (one HMGET for 64
 * readers of a hot key). The rule that keeps the cache's promise, "a read never returns an entry
 * older than one this process has already seen written or read for that key":
 * - a read is shared only while it is in flight; a call after it settled issues a new one;
 * - {@link forget} is called when a local write of the key settles (set, invalidate, a fill's
 *   write; resolved or not, since a failed write may still have landed), before its caller
 *   resumes; a call made after that cannot join a read issued before it.
 * Reads of one connection are answered in order, so a read issued later never settles first.
 * Callers that join share the parsed entry (and its value object): treat it as read-only.
 */
export class InFlightReads<R> {
  readonly #reads = new Map<string, Promise<R>>();
  readonly #issue: (key: string) => Promise<R>;

  /** `issue` sends one read; it must report a bad key as a rejection, not a throw. */
  constructor(issue: (key: string) => Promise<R>) {
    this.#issue = issue;
  }

  /** The read of `key` in flight, or a new one. */
  read(key: string): Promise<R> {
    const inFlight = this.#reads.get(key);
    if (inFlight !== undefined) return inFlight;
    const read = this.#issue(key);
    this.#reads.set(key, read);
    // Registered before any caller's await, so it runs first: a caller resuming from this read
    // and reading again starts a new one.
    const settle = () => {
      if (this.#reads.get(key) === read) this.#reads.delete(key);
    };
    read.then(settle, settle);
    return read;
  }

  /** A local write of `key` settled: later calls must not join a read issued before it. */
  forget(key: string): void {
    this.#reads.delete(key);
  }

  /** Every read in flight is for before now (the near cache's flush): later calls issue new ones. */
  forgetAll(): void {
    this.#reads.clear();
  }

  /** Number of keys with a read in flight. */
  get size(): number {
    return this.#reads.size;
  }
}
