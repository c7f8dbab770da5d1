/** What an entry records. */
export type EntryKind = 'value' | 'tombstone' | 'missing';

interface ServingCommon {
  /** The cache key. */
  key: string;
  /** The DB-sourced timestamp the entry was written at. */
  timestamp: bigint;
  /** When the entry stops being fresh (ms since epoch, Redis server clock). For a tombstone: when it was written. */
  expiresAt: number;
  /**
   * `expiresAt > Date.now()` evaluated on this client when read; always false for a tombstone.
   * Assumes the client's clock is within a small skew of the Redis server's: a skew of d ms moves
   * the end of freshness by d ms. Ordering never depends on it (the script uses Redis TIME).
   */
  isFresh: boolean;
}

interface EntryCommon extends ServingCommon {
  /** When it was written (ms since epoch, Redis server clock). */
  writtenAt: number;
  /** The writer label of the process that wrote it. */
  writer: string;
  /** Until when Redis keeps the entry, hence its timestamp (ms since epoch, Redis server clock). */
  retainedUntilMs: number;
}

/** The part of an entry that serving needs (what `OrderedStore.readForServing` returns): no bookkeeping fields. */
export type ServingEntry<T> =
  | (ServingCommon & { kind: 'value'; value: T })
  | (ServingCommon & { kind: 'tombstone' })
  | (ServingCommon & { kind: 'missing' });

/** A cache entry as stored in Redis, discriminated by `kind`. */
export type Entry<T> =
  | (EntryCommon & { kind: 'value'; value: T })
  | (EntryCommon & { kind: 'tombstone' })
  | (EntryCommon & { kind: 'missing' });

/**
 * Outcome of a compare write (expected outcomes are values, not errors). `written`: stored;
 * `duplicate`: the same timestamp is already stored (nothing changed); `stale`: refused, nothing
 * changed — an equal or newer entry is stored (`current`), or, with `reason: 'epoch'`, the write's
 * epoch token predates a loss of Redis's data (docs/design.md "The epoch fence").
 */
export type WriteResult =
  | {
      status: 'written' | 'duplicate' | 'stale';
      /** The timestamp stored after the call. */
      current: bigint;
      reason?: undefined;
    }
  | {
      status: 'stale';
      /** What a write after the loss stored, `undefined` when the key holds nothing. */
      current: bigint | undefined;
      reason: 'epoch';
    };
