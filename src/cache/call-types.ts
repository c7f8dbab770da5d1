import { AbortError } from '../errors.js';
import type { Entry } from '../redis/entry.js';
import type { LockState } from '../zookeeper/lock-state.js';

/** Per-call options of reads. */
export interface GetOptions {
  /** Stops waiting (AbortError). Other callers sharing the same load are not affected. */
  signal?: AbortSignal;
}

/** Per-call options of writes. */
export interface WriteCallOptions {
  /** Gives up waiting for the lock (AbortError); nothing is written. */
  signal?: AbortSignal;
}

/** `withLock`'s options: a write call's, and its own lock timeout. */
export type LockCallOptions = WriteCallOptions & { timeoutMs?: number };

/** Per-call options of `set`. */
export interface SetCallOptions extends WriteCallOptions {
  /**
   * The token from `cache.epoch(key)`, taken BEFORE reading the version being written: the write
   * is refused (`stale`, reason `epoch`) if Redis lost its data in between (docs/design.md "The
   * epoch fence"). Omitted: the write is not fenced against a Redis restart.
   */
  epoch?: string;
}

/** What {@link OrderedCache.getEntry} returns: the value and where it came from. */
export interface CacheResult<T> {
  /** The value, or `undefined` when the row does not exist. */
  value: T | undefined;
  /** The timestamp of what was returned (`undefined` when the loader returned `undefined`). */
  timestamp: bigint | undefined;
  /** `cache`: a fresh Redis entry; `loader`: this call (or one it joined) loaded it; `grace`: an expired value served within `graceMs`. */
  source: 'cache' | 'loader' | 'grace';
  /** True when the value is past its freshness (served within `graceMs`). */
  stale: boolean;
}

/** What {@link OrderedCache.inspect} returns. */
export interface Inspection<T> {
  key: string;
  /** The Redis entry, tombstones and expired entries included. */
  entry: Entry<T> | undefined;
  /** Lock holder and waiters from ZooKeeper. */
  lock: LockState;
}

/** Lets one caller stop waiting on a shared promise without cancelling it for the others. */
export function abortable<R>(promise: Promise<R>, signal: AbortSignal | undefined): Promise<R> {
  if (!signal) return promise;
  return new Promise<R>((resolve, reject) => {
    const onAbort = () =>
      reject(new AbortError('stopped waiting for the load: the signal was aborted', { cause: signal.reason }));
    if (signal.aborted) return onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

/** `zkoc.result` of a read: where its answer came from. */
export function resultOf(result: CacheResult<unknown>): 'hit' | 'miss' | 'grace' | 'negative' {
  if (result.source === 'grace') return 'grace';
  if (result.source === 'loader') return 'miss';
  return result.value === undefined ? 'negative' : 'hit';
}
