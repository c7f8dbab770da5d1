import type { Redis } from 'ioredis';
import type { HoldPoint, ReadCommand, WriteCommand } from '../protocol.js';

/** The part of Redlock's API the remedy uses (`redlock.using`, as its README writes it). */
export interface RedlockLike {
  using<T>(
    resources: string[],
    duration: number,
    settings: { retryCount?: number },
    routine: (signal: AbortSignal & { error?: Error }) => Promise<T>,
  ): Promise<T>;
  using<T>(
    resources: string[],
    duration: number,
    routine: (signal: AbortSignal & { error?: Error }) => Promise<T>,
  ): Promise<T>;
}

/**
 * The remedies' lock lease for workers with this ZooKeeper session timeout: the same lease, but at
 * least 1 s (Redlock's `using` needs 100 ms more than its 500 ms extension threshold, and a lease
 * that short would be extended every few milliseconds).
 */
export function lockTtlOf(sessionTimeoutMs: number): number {
  return Math.max(sessionTimeoutMs, 1_000);
}

/** A row as a worker loads it. */
export interface Row {
  value: string;
  timestamp: bigint;
}

/** What a remedy gets from the race worker process. */
export interface RemedyEnv {
  /** The cache (plain keys). */
  redis: Redis;
  namespace: string;
  /** TTL of cached values, as any cache-aside entry has. */
  ttlMs: number;
  /** TTL of a Redis lock (`PX`) and Redlock's lock duration: {@link lockTtlOf} the workers' session timeout. */
  lockTtlMs: number;
  /** Commits the new price; resolves with the row's new version. */
  commit(rowId: number, price: string): Promise<bigint>;
  /** Present when the worker was given three Redlock servers. */
  redlock?: RedlockLike;
}

/** One read as the worker drives it. */
export interface ReadSteps {
  command: ReadCommand;
  /** Runs the loader: counts a load and reads the row from PostgreSQL. */
  fetch(): Promise<Row>;
  /** A racy point: holds the read there when the command names it, else sleeps its random delay (if any). */
  pauseAt(point: Extract<HoldPoint, 'missed' | 'loaded'>): Promise<void>;
}

/** One write as the worker drives it. */
export interface WriteSteps {
  command: WriteCommand;
  pauseAt(point: Extract<HoldPoint, 'committed' | 'cached'>): Promise<void>;
}

export interface ReadResult {
  loaded: boolean;
  value: string;
}

/** A remedy's read and write paths, as its advocates publish them. */
export interface Remedy {
  read(env: RemedyEnv, steps: ReadSteps): Promise<ReadResult>;
  /** `cacheUpdateSkipped`: the row was committed but the remedy's own check stopped the cache update. */
  write(env: RemedyEnv, steps: WriteSteps): Promise<{ version: bigint; cacheUpdateSkipped?: boolean }>;
}

export const sleep = (ms: number): Promise<void> =>
  ms > 0 ? new Promise((resolve) => setTimeout(resolve, ms)) : Promise.resolve();
