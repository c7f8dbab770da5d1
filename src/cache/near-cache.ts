import type { NearEntry } from '../redis/near-entry.js';

/** Bounds of a {@link NearCache}. */
export interface NearCacheLimits {
  maxEntries: number;
  maxBytes: number;
}

/** What a fill read carries from its send to its reply: see {@link NearCache.beginFill}. */
export interface FillTicket {
  readonly key: string;
  readonly generation: number;
  readonly pending: PendingFills;
  /** The key's invalidation count when the read was sent. */
  readonly invalidations: number;
}

export interface PendingFills {
  /** Fill reads of the key in flight. */
  reads: number;
  /** Invalidations of the key seen since the first of them was sent. */
  invalidations: number;
}

/**
 * The in-process copy of entries read from Redis, bounded in entries and bytes, least recently used
 * evicted first. It knows nothing of Redis: the tracking connection tells it what changed
 * ({@link invalidate}, {@link flush}), the read barrier decides when it may be read (near-reads.ts).
 *
 * The fill rule: an entry read from Redis is kept only if no invalidation of its key, no flush and no
 * change of tracking connection happened since the read was SENT ({@link beginFill} before sending,
 * {@link endFill} with the reply). An invalidation for a write Redis executed after our read is pushed
 * after the write, hence after our read was sent: it cannot be missed, and a reply it overtook is dropped.
 */
export class NearCache {
  readonly #limits: NearCacheLimits;
  readonly #entries = new Map<string, NearEntry>();
  // Only for keys with a fill read in flight: bounded by reads in flight, not by keys ever invalidated.
  readonly #fills = new Map<string, PendingFills>();
  #bytes = 0;
  #generation = 0;

  constructor(limits: NearCacheLimits) {
    this.#limits = limits;
  }

  /** Bumped by every flush: a fill sent under an older generation is never kept. */
  get generation(): number {
    return this.#generation;
  }

  get size(): number {
    return this.#entries.size;
  }

  get bytes(): number {
    return this.#bytes;
  }

  /** The entry of `key`, marked most recently used; `undefined` when absent or past its Redis retention. */
  get(key: string, now: number): NearEntry | undefined {
    const entry = this.#entries.get(key);
    if (entry === undefined) return undefined;
    this.#entries.delete(key);
    if (entry.retainedUntilMs <= now) {
      // Redis has dropped it (or will on the next access): it must not outlive the key there.
      this.#bytes -= entry.bytes;
      return undefined;
    }
    this.#entries.set(key, entry);
    return entry;
  }

  /** Records a fill read of `key` about to be sent. Pair it with exactly one {@link endFill}. */
  beginFill(key: string): FillTicket {
    let pending = this.#fills.get(key);
    if (pending === undefined) {
      pending = { reads: 0, invalidations: 0 };
      this.#fills.set(key, pending);
    }
    pending.reads += 1;
    return { key, generation: this.#generation, pending, invalidations: pending.invalidations };
  }

  /**
   * The fill read of `ticket` was answered with `entry` (`undefined`: nothing stored, or the read
   * failed): keeps it when nothing invalidated the key since the read was sent and `active` says the
   * tracking connection is still the one it was sent under.
   */
  endFill(ticket: FillTicket, entry: NearEntry | undefined, active: boolean): void {
    // The ticket's own record: a flush does not drop records, so no two fills of a key ever count apart.
    const { pending } = ticket;
    pending.reads -= 1;
    if (pending.reads === 0) this.#fills.delete(ticket.key);
    const clean = active && ticket.generation === this.#generation && ticket.invalidations === pending.invalidations;
    if (clean && entry !== undefined) this.#store(ticket.key, entry);
  }

  /** `key` was modified in Redis (or by a local write): forget it, and spoil fills of it in flight. */
  invalidate(key: string): void {
    const pending = this.#fills.get(key);
    if (pending !== undefined) pending.invalidations += 1;
    const entry = this.#entries.get(key);
    if (entry === undefined) return;
    this.#entries.delete(key);
    this.#bytes -= entry.bytes;
  }

  /** Forgets everything and spoils every fill in flight (FLUSHALL, a tracking reconnect, close). */
  flush(): void {
    this.#generation += 1;
    this.#entries.clear();
    this.#bytes = 0;
  }

  #store(key: string, entry: NearEntry): void {
    const { maxEntries, maxBytes } = this.#limits;
    if (entry.bytes > maxBytes) return;
    const previous = this.#entries.get(key);
    if (previous !== undefined) {
      this.#entries.delete(key);
      this.#bytes -= previous.bytes;
    }
    this.#entries.set(key, entry);
    this.#bytes += entry.bytes;
    // Map iteration is insertion order, and get() re-inserts: the first keys are the least recently used.
    for (const [oldest, evicted] of this.#entries) {
      if (this.#entries.size <= maxEntries && this.#bytes <= maxBytes) break;
      this.#entries.delete(oldest);
      this.#bytes -= evicted.bytes;
    }
  }
}
