import type { ServingEntry } from '../redis/entry.js';

/** What one comparison of a key's cache entry with its database row found. */
export type Verdict =
  /** The cache serves the database's version, or serves nothing that could be wrong. */
  | 'consistent'
  /** The cache serves an older version (or a deleted row): fine only if it is gone within the window. */
  | 'stale'
  /** The cache holds a version the database does not have yet: a violation at once. */
  | 'ahead'
  /** Nothing in the cache for this key (never filled, or expired): fine. */
  | 'absent';

/** The database side of one comparison: the row's version, or `undefined` when there is no row. */
export type DatabaseVersion = bigint | undefined;

/**
 * Compares what the cache would serve for a key with the row's version, read **after** the cache
 * (so the database side is never the older snapshot: a cache version above it cannot be a race of
 * the two reads). Pure: the sampler decides what a `stale` verdict becomes after the window.
 *
 * - A value (or a cached "missing") is served only while fresh; expired entries count as absent.
 * - A tombstone serves nothing. It is `ahead` only when it sits above an existing row's version:
 *   then every fill at the row's version is refused (caching is off for that key until retention ends).
 */
export function classify(entry: ServingEntry<unknown> | undefined, db: DatabaseVersion): Verdict {
  if (entry === undefined) return 'absent';
  if (entry.kind === 'tombstone') return db !== undefined && entry.timestamp > db ? 'ahead' : 'consistent';
  if (!entry.isFresh) return 'absent';
  if (entry.kind === 'missing') {
    if (db === undefined) return 'consistent';
    return db > entry.timestamp ? 'stale' : 'ahead';
  }
  if (db === undefined) return 'stale'; // the row was deleted; the value must go within the window
  if (entry.timestamp === db) return 'consistent';
  return entry.timestamp < db ? 'stale' : 'ahead';
}

/**
 * Whether a key first seen `stale` has caught up: the cache no longer serves anything older than the
 * database version seen at the first comparison (`dbThen`; `undefined` for a deleted row).
 *
 * A row deleted at the first look may be inserted again before the re-check; its version is then
 * newer than the delete. `dbNow` (the row's version at the re-check, read only in that case) lets a
 * cached value of the re-inserted row count as caught up: the version of a row that did not exist
 * at the first look was assigned after the delete.
 */
export function caughtUp(
  entry: ServingEntry<unknown> | undefined,
  dbThen: DatabaseVersion,
  dbNow?: DatabaseVersion,
): boolean {
  if (entry === undefined || entry.kind === 'tombstone' || !entry.isFresh) return true;
  if (dbThen === undefined) return entry.kind === 'missing' || (dbNow !== undefined && entry.timestamp >= dbNow);
  return entry.timestamp >= dbThen;
}

/**
 * A value cached over a row deleted at the first look, not caught up at the re-check (the row is
 * gone again, or back at a version above the value): the value may be the re-inserted row behind a
 * newer change (fine, if that change arrives within its own window) or the row from before the
 * delete. It is the former only if the cache moved above what it served at the last look
 * (`cacheThen`); such a key is watched for one more window against the row as it is now. A cache
 * that stops moving is reported one window later.
 */
export function movedSinceDelete(
  entry: ServingEntry<unknown> | undefined,
  dbThen: DatabaseVersion,
  cacheThen: bigint | undefined,
): boolean {
  return dbThen === undefined && entry !== undefined && cacheThen !== undefined && entry.timestamp > cacheThen;
}

/** True when {@link caughtUp} needs the row's current version: a value cached over a row deleted at the first look. */
export function needsCurrentRow(entry: ServingEntry<unknown> | undefined, dbThen: DatabaseVersion): boolean {
  return dbThen === undefined && entry !== undefined && entry.kind === 'value' && entry.isFresh;
}
