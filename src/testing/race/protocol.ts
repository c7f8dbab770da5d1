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
  /** Three Redis URLs holding the `redlock` strategy's locks. */
  redlock?: readonly string[];
}

/**
 * Named points inside a read or a write where a forced interleaving can hold the command (the
 * worker announces `loaded` with the point's tag and waits for `go`): a read's `missed` (its first
 * GET found nothing, nothing locked yet) and `loaded` (row loaded, cache not yet written); a
 * write's `committed` (database committed, cache not yet touched) and `cached` (write-through
 * only: cache written, database not yet committed). Without a tag, `loaded` and
 * `committed`/`cached` sleep the command's random delay instead.
 */
export type HoldPoint = 'missed' | 'loaded' | 'committed' | 'cached';

/** Tags of the points to hold a command at. */
export type Holds = Partial<Record<HoldPoint, string>>;

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
  /** Further points to hold at (`holds.loaded` is `holdTag`). */
  holds?: Holds;
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
  /** The racy point: between the database commit and the cache update (write-through: the reverse). */
  commitDelayMs: number;
  holds?: Holds;
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

/**
 * Reports (and resets) the worker's retry counts by cause since the last `stats`, and its costs:
 * `reads`/`writes` latencies in ms (injected delays excluded) and `loads` (loader runs).
 */
export interface StatsCommand {
  op: 'stats';
}

export interface CloseCommand {
  op: 'close';
}

/** What each read and write in flight is doing (a `Trails` snapshot): sent when a call got no reply. */
export interface DumpCommand {
  op: 'dump';
}

export type WorkerCommand =
  | ReadCommand
  | WriteCommand
  | StampedeCommand
  | GoCommand
  | StatsCommand
  | CloseCommand
  | DumpCommand;

/** The plain (every strategy but ordered) Redis key of a cache key; versioned keys append `:v<n>`. */
export function plainRedisKey(namespace: string, strategy: RaceStrategy, key: string): string {
  return `zkoc-race:${namespace}:${strategy}:${key}`;
}

/** The lock root the lock-only strategy uses (apart from the ordered cache's). */
export function lockOnlyRoot(namespace: string): string {
  return `/zkoc/${namespace}-lock-only/locks`;
}

/** The versioned-keys strategy's version counter of a cache key (INCR on every write). */
export function versionCounterKey(namespace: string, key: string): string {
  return `${plainRedisKey(namespace, 'versioned-keys', key)}:version`;
}

/** The versioned-keys strategy's data key of a cache key at version `version` (`product:123:v5`). */
export function versionedDataKey(namespace: string, key: string, version: string): string {
  return `${plainRedisKey(namespace, 'versioned-keys', key)}:v${version}`;
}
