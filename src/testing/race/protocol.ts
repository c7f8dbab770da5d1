import type { RetrySettings } from './transient.js';
import type { RaceStrategy } from './types.js';

/** Settings a race worker process starts with (argv[2], JSON). */
export interface WorkerConfig {
  zookeeper: string;
  redis: string;
  postgres: string;
  /** OrderedCache namespace of the run; plain keys and the lock-only lock root derive from it. */
  namespace: string;
  /** The race table (id, price, cache_version). */
  table: string;
  sessionTimeoutMs: number;
  /** Shown as the lock holder's label. */
  label: string;
  /** Under chaos: retry transiently failing steps (see `retryTransient`). Absent: fail at once. */
  retry?: RetrySettings;
}

/** A cache-aside read: GET, on a miss load the row, then fill the cache. */
export interface ReadCommand {
  op: 'read';
  strategy: RaceStrategy;
  key: string;
  rowId: number;
  startDelayMs: number;
  /** The racy point: between loading the row and writing it to the cache. */
  loadDelayMs: number;
  /** When set, announce `loaded` with this tag after loading and wait for `go` instead of `loadDelayMs`. */
  holdTag?: string;
}

/** A database write followed by a cache update (`write-through`) or invalidation. */
export interface WriteCommand {
  op: 'write';
  strategy: RaceStrategy;
  key: string;
  rowId: number;
  price: string;
  mode: 'invalidate' | 'write-through';
  startDelayMs: number;
  /** The racy point: between the database commit and the cache update. */
  commitDelayMs: number;
}

/** `concurrency` reads of one cold key at once; reports how many ran the loader. */
export interface StampedeCommand {
  op: 'stampede';
  strategy: RaceStrategy;
  key: string;
  rowId: number;
  concurrency: number;
  startDelaysMs: number[];
  loadDelayMs: number;
}

/** Releases a read held by `holdTag`. */
export interface GoCommand {
  op: 'go';
  tag: string;
}

/** Reports (and resets) the worker's retry counts by cause since the last `stats`. */
export interface StatsCommand {
  op: 'stats';
}

export interface CloseCommand {
  op: 'close';
}

export type WorkerCommand = ReadCommand | WriteCommand | StampedeCommand | GoCommand | StatsCommand | CloseCommand;

/** The plain (naive, lock-only) Redis key of a cache key. */
export function plainRedisKey(namespace: string, strategy: RaceStrategy, key: string): string {
  return `zkoc-race:${namespace}:${strategy}:${key}`;
}

/** The lock root the lock-only strategy uses (apart from the ordered cache's). */
export function lockOnlyRoot(namespace: string): string {
  return `/zkoc/${namespace}-lock-only/locks`;
}
