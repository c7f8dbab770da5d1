import { sleep } from '../core/deadline.js';
import { ForeignEntryError } from '../errors.js';
import type { ServingEntry } from '../redis/entry.js';
import { caughtUp, classify, type DatabaseVersion, movedSinceDelete, needsCurrentRow } from './classify.js';
import { type Nines, ninesOf } from './nines.js';
import type { RowLookup, RowVersionSource } from './row-version.js';

/** Reads what the cache would serve for a key (an `OrderedStore`'s `readForServing`). */
export interface ServingReader {
  readForServing(key: string): Promise<ServingEntry<unknown> | undefined>;
}

/** One key the cache got wrong. */
export interface Violation {
  key: string;
  /** `stale`: still older than the database after the window; `ahead`: newer than the database; `foreign`: not our entry. */
  kind: 'stale' | 'ahead' | 'foreign';
  /** What the cache held at the last look (`undefined`: nothing). */
  cache: { kind: ServingEntry<unknown>['kind']; version: bigint } | undefined;
  /** The row's version at the first look (`undefined`: no row). */
  databaseVersion: DatabaseVersion;
  /** How long the key has been seen wrong (0 for `ahead`, at least the window for `stale`). */
  ageMs: number;
}

/**
 * A key whose look failed (a Redis or PostgreSQL error or timeout): nothing is known of it. `first`:
 * its first comparison failed; `recheck`: it was stale, and the look after the window failed.
 */
export interface Unverified {
  key: string;
  look: 'first' | 'recheck';
  /** The row's version at the first look (`undefined`: no row, or not read: a failed first look). */
  databaseVersion: DatabaseVersion;
  /** How long after the first look the re-check failed (0 for a failed first look). */
  ageMs: number;
  /** The failure, as the driver reported it. */
  error: string;
}

export interface VerifyOptions {
  cache: ServingReader;
  rows: RowVersionSource;
  keys: AsyncIterable<string> | Iterable<string>;
  /** How long a change may take to reach the cache (the follower's lag bound). @default 5_000 */
  windowMs?: number;
  /**
   * Comparisons in flight: keys, or batches when `rows` has `readMany`.
   * @default 16 keys, or 4 batches
   */
  concurrency?: number;
  /** Keys per batch when `rows` has `readMany` (their cache entries read at once, then one SELECT). @default 250 */
  batchSize?: number;
  signal?: AbortSignal;
}

export interface VerifyReport {
  /**
   * Keys whose verdict is known (absent, unmatched, mistyped and unverified keys excluded): the
   * denominator of the nines.
   */
  comparisons: number;
  consistent: number;
  /** Seen stale, and caught up within the window: a change was on its way. */
  staleWithinWindow: number;
  absent: number;
  /** Keys that do not have the mapping's shape (not compared). */
  unmatched: number;
  /** Keys of the mapping's shape whose fields do not parse as the key columns' types: no row can match (not compared). */
  mistyped: number;
  violations: Violation[];
  /** Keys whose first look or re-check failed: no verdict, not in the nines (a run goes on past them). */
  unverified: Unverified[];
  nines: Nines;
  windowMs: number;
}

interface Pending {
  key: string;
  dueAt: number;
  firstSeenAt: number;
  dbThen: DatabaseVersion;
  /** The version the cache served at the last look. */
  cacheThen: bigint | undefined;
}

/**
 * Compares each key's cache entry with its row (cache first, then the database, so the database is
 * never the older snapshot) and classifies it. A stale key is looked at again once the window has
 * passed since it was first seen: still behind the version the database had then, it is a
 * violation. With a row source that reads many rows at once (a table mapping), keys go in batches:
 * their entries in one pipelined burst of HMGETs, then one SELECT. Reads only: no lock, no write.
 */
export async function verifyConsistency(options: VerifyOptions): Promise<VerifyReport> {
  const windowMs = options.windowMs ?? 5_000;
  const report: VerifyReport = {
    comparisons: 0,
    consistent: 0,
    staleWithinWindow: 0,
    absent: 0,
    unmatched: 0,
    mistyped: 0,
    violations: [],
    unverified: [],
    nines: ninesOf(0, 0),
    windowMs,
  };
  const pending: Pending[] = [];

  // A failed first look classifies its key (or a failed SELECT, its batch) as unverified; the run goes on.
  const failed = (key: string, error: unknown): Failed => {
    report.unverified.push({ key, look: 'first', databaseVersion: undefined, ageMs: 0, error: messageOf(error) });
    return FAILED;
  };

  // Cache first, then the database, for the whole batch: no row is read before its key's entry.
  const compare = async (keys: readonly string[]): Promise<void> => {
    const entries = await Promise.all(
      keys.map((key) =>
        options.cache.readForServing(key).then(
          (entry) => ({ entry }),
          (error: unknown) => (error instanceof ForeignEntryError ? ('foreign' as const) : failed(key, error)),
        ),
      ),
    );
    const looked = (i: number) => typeof entries[i] === 'object';
    const rows: (RowLookup | undefined | Failed)[] =
      keys.length > 1 && options.rows.readMany
        ? await options.rows
            .readMany(keys)
            .catch((e: unknown) => keys.map((k, i) => (looked(i) ? failed(k, e) : undefined)))
        : await Promise.all(
            keys.map((key, i) =>
              looked(i) ? options.rows.read(key).catch((e: unknown): Failed => failed(key, e)) : undefined,
            ),
          );
    const now = Date.now();
    keys.forEach((key, i) => {
      const seen = entries[i] as { entry: ServingEntry<unknown> | undefined } | 'foreign' | Failed;
      if (seen === FAILED) return;
      if (seen === 'foreign') {
        report.comparisons++;
        report.violations.push({ key, kind: 'foreign', cache: undefined, databaseVersion: undefined, ageMs: 0 });
        return;
      }
      const row = rows[i];
      if (row === FAILED) return;
      if (row === undefined) {
        report.unmatched++;
        return;
      }
      if ('mistyped' in row) {
        report.mistyped++;
        return;
      }
      const verdict = classify(seen.entry, row.version);
      if (verdict === 'absent') {
        report.absent++;
        return;
      }
      // A stale key is counted once its re-check gives a verdict.
      if (verdict !== 'stale') report.comparisons++;
      if (verdict === 'consistent') report.consistent++;
      else if (verdict === 'ahead') report.violations.push(violation(key, 'ahead', seen.entry, row.version, 0));
      else
        pending.push({
          key,
          dueAt: now + windowMs,
          firstSeenAt: now,
          dbThen: row.version,
          cacheThen: seen.entry?.timestamp,
        });
    });
  };

  const recheck = async (p: Pending): Promise<void> => {
    let entry: ServingEntry<unknown> | undefined;
    let dbNow: DatabaseVersion;
    try {
      entry = await options.cache.readForServing(p.key);
      const now = needsCurrentRow(entry, p.dbThen) ? await options.rows.read(p.key) : undefined;
      dbNow = now !== undefined && 'version' in now ? now.version : undefined;
    } catch (error) {
      const ageMs = Date.now() - p.firstSeenAt;
      if (error instanceof ForeignEntryError) {
        report.comparisons++;
        report.violations.push({ key: p.key, kind: 'foreign', cache: undefined, databaseVersion: p.dbThen, ageMs });
      } else {
        // A failed look is not an empty cache: the key is neither caught up nor a violation.
        report.unverified.push({
          key: p.key,
          look: 'recheck',
          databaseVersion: p.dbThen,
          ageMs,
          error: messageOf(error),
        });
      }
      return;
    }
    if (movedSinceDelete(entry, p.dbThen, p.cacheThen) && !caughtUp(entry, p.dbThen, dbNow)) {
      pending.push({ ...p, dueAt: Date.now() + windowMs, dbThen: dbNow, cacheThen: entry?.timestamp });
      return;
    }
    report.comparisons++;
    if (caughtUp(entry, p.dbThen, dbNow)) report.staleWithinWindow++;
    else report.violations.push(violation(p.key, 'stale', entry, p.dbThen, Date.now() - p.firstSeenAt));
  };

  const batchSize = options.rows.readMany ? Math.max(1, options.batchSize ?? 250) : 1;
  const concurrency = Math.max(1, options.concurrency ?? (batchSize > 1 ? 4 : 16));
  const inFlight = new Set<Promise<void>>();
  const run = async (work: Promise<void>) => {
    const tracked = work.finally(() => inFlight.delete(tracked));
    tracked.catch(() => undefined); // surfaced by the race or the final Promise.all, never unhandled
    inFlight.add(tracked);
    if (inFlight.size >= concurrency) await Promise.race(inFlight);
  };
  let batch: string[] = [];
  for await (const k of options.keys) {
    options.signal?.throwIfAborted();
    batch.push(k);
    if (batch.length < batchSize) continue;
    while (pending.length > 0 && (pending[0] as Pending).dueAt <= Date.now())
      await run(recheck(pending.shift() as Pending));
    await run(compare(batch));
    batch = [];
  }
  if (batch.length > 0) await run(compare(batch));
  await Promise.all(inFlight);
  for (const p of pending) {
    await sleep(p.dueAt - Date.now(), options.signal);
    await run(recheck(p));
  }
  await Promise.all(inFlight);
  report.nines = ninesOf(report.comparisons, report.violations.length);
  return report;
}

/** A key whose first look failed (already reported as unverified). */
const FAILED: unique symbol = Symbol('failed');
type Failed = typeof FAILED;

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function violation(
  k: string,
  kind: Violation['kind'],
  entry: ServingEntry<unknown> | undefined,
  databaseVersion: DatabaseVersion,
  ageMs: number,
): Violation {
  return {
    key: k,
    kind,
    cache: entry === undefined ? undefined : { kind: entry.kind, version: entry.timestamp },
    databaseVersion,
    ageMs,
  };
}
