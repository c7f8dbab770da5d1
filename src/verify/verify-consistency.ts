import { sleep } from '../core/deadline.js';
import { ForeignEntryError } from '../errors.js';
import type { ServingEntry } from '../redis/entry.js';
import { caughtUp, classify, type DatabaseVersion } from './classify.js';
import { type Nines, ninesOf } from './nines.js';
import type { RowVersionSource } from './row-version.js';

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

export interface VerifyOptions {
  cache: ServingReader;
  rows: RowVersionSource;
  keys: AsyncIterable<string> | Iterable<string>;
  /** How long a change may take to reach the cache (the follower's lag bound). @default 5_000 */
  windowMs?: number;
  /** Keys compared at once. @default 16 */
  concurrency?: number;
  signal?: AbortSignal;
}

export interface VerifyReport {
  /** Keys compared (absent and unmatched keys excluded): the denominator of the nines. */
  comparisons: number;
  consistent: number;
  /** Seen stale, and caught up within the window: a change was on its way. */
  staleWithinWindow: number;
  absent: number;
  /** Keys that do not have the mapping's shape (not compared). */
  unmatched: number;
  violations: Violation[];
  nines: Nines;
  windowMs: number;
}

interface Pending {
  key: string;
  dueAt: number;
  firstSeenAt: number;
  dbThen: DatabaseVersion;
}

/**
 * Compares each key's cache entry with its row (cache first, then the database, so the database is
 * never the older snapshot) and classifies it. A stale key is looked at again once the window has
 * passed since it was first seen: still behind the version the database had then, it is a
 * violation. Reads only: no lock, no write.
 */
export async function verifyConsistency(options: VerifyOptions): Promise<VerifyReport> {
  const windowMs = options.windowMs ?? 5_000;
  const report: VerifyReport = {
    comparisons: 0,
    consistent: 0,
    staleWithinWindow: 0,
    absent: 0,
    unmatched: 0,
    violations: [],
    nines: ninesOf(0, 0),
    windowMs,
  };
  const pending: Pending[] = [];

  const compare = async (key: string): Promise<void> => {
    let entry: ServingEntry<unknown> | undefined;
    try {
      entry = await options.cache.readForServing(key);
    } catch (error) {
      if (!(error instanceof ForeignEntryError)) throw error;
      report.comparisons++;
      report.violations.push({ key, kind: 'foreign', cache: undefined, databaseVersion: undefined, ageMs: 0 });
      return;
    }
    const row = await options.rows.read(key);
    if (row === undefined) {
      report.unmatched++;
      return;
    }
    const verdict = classify(entry, row.version);
    if (verdict === 'absent') {
      report.absent++;
      return;
    }
    report.comparisons++;
    if (verdict === 'consistent') report.consistent++;
    else if (verdict === 'ahead') report.violations.push(violation(key, 'ahead', entry, row.version, 0));
    else {
      const now = Date.now();
      pending.push({ key, dueAt: now + windowMs, firstSeenAt: now, dbThen: row.version });
    }
  };

  const recheck = async (p: Pending): Promise<void> => {
    const entry = await options.cache.readForServing(p.key).catch(() => undefined);
    if (caughtUp(entry, p.dbThen)) report.staleWithinWindow++;
    else report.violations.push(violation(p.key, 'stale', entry, p.dbThen, Date.now() - p.firstSeenAt));
  };

  const concurrency = Math.max(1, options.concurrency ?? 16);
  const inFlight = new Set<Promise<void>>();
  const run = async (work: Promise<void>) => {
    const tracked = work.finally(() => inFlight.delete(tracked));
    tracked.catch(() => undefined); // surfaced by the race or the final Promise.all, never unhandled
    inFlight.add(tracked);
    if (inFlight.size >= concurrency) await Promise.race(inFlight);
  };
  for await (const k of options.keys) {
    options.signal?.throwIfAborted();
    while (pending.length > 0 && (pending[0] as Pending).dueAt <= Date.now())
      await run(recheck(pending.shift() as Pending));
    await run(compare(k));
  }
  await Promise.all(inFlight);
  for (const p of pending) {
    await sleep(p.dueAt - Date.now(), options.signal);
    await run(recheck(p));
  }
  await Promise.all(inFlight);
  report.nines = ninesOf(report.comparisons, report.violations.length);
  return report;
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
