import { assertValidKey } from '../core/key.js';
import { canonicalTimestamp, type TimestampInput } from '../core/timestamp.js';
import { InvalidOptionsError } from '../errors.js';
import type { WriteResult } from '../redis/entry.js';
import type { OrderedStore, PreparedWrite } from '../redis/ordered-store.js';
import type { LockManager } from '../zookeeper/lock-manager.js';

/** One tombstone of {@link OrderedCache.invalidateMany}. */
export interface InvalidateEntry {
  key: string;
  /** The committed version to write the tombstone at. */
  timestamp: TimestampInput;
}

/** One value of {@link OrderedCache.setMany}. */
export interface SetEntry<T> {
  key: string;
  value: T;
  timestamp: TimestampInput;
}

/** Per-call options of the batched writes. */
export interface BatchWriteOptions {
  /** Gives up waiting for locks (those entries fail with AbortError; nothing is written for them). */
  signal?: AbortSignal;
  /** Lock wait per key. @default the cache's `lockTimeoutMs` */
  timeoutMs?: number;
  /**
   * How many distinct keys are in flight at once (lock acquisitions and script calls sent
   * together). Each key's lock wait includes queueing behind the others in flight at ZooKeeper,
   * so a much larger value buys little throughput and risks lock timeouts on a busy server.
   * @default 128
   */
  concurrency?: number;
}

/**
 * The outcome of one entry, in the order given: the script's answer (`written`, `duplicate`,
 * `stale` with the stored timestamp), or `failed` with the error (lock timeout, abort, connection,
 * foreign entry) when nothing could be written for it. A failed entry can be retried as it is.
 */
export type BatchWriteResult =
  | ({ key: string; timestamp: bigint } & WriteResult)
  | { key: string; timestamp: bigint; status: 'failed'; error: unknown };

/** What the batch needs from the cache: its locks, its store and a way to report outcomes as events. */
export interface BatchContext {
  locks: LockManager;
  store: OrderedStore<unknown>;
  lockTimeoutMs: number;
  report(
    key: string,
    timestamp: string,
    kind: 'value' | 'tombstone',
    source: 'set' | 'invalidate',
    result: WriteResult,
  ): void;
}

interface Op {
  index: number;
  key: string;
  kind: 'value' | 'tombstone';
  write: PreparedWrite;
}

const DEFAULT_CONCURRENCY = 128;

/**
 * Writes tombstones for many keys. Every entry is validated first (InvalidKeyError,
 * InvalidTimestampError: nothing is locked or written if one is bad); then each distinct key takes
 * its lock and runs its writes in the given order, up to `concurrency` keys at a time. Lock
 * requests issued in one event-loop turn leave in one ZooKeeper socket write and the script calls
 * are pipelined on the Redis connection, so a batch costs a few round trips, not one per key.
 */
export async function invalidateMany(
  context: BatchContext,
  entries: readonly InvalidateEntry[],
  options: BatchWriteOptions = {},
): Promise<BatchWriteResult[]> {
  assertArray(entries, 'entries');
  const ops = entries.map((entry, index): Op => {
    assertEntry(entry, index);
    return {
      index,
      key: entry.key,
      kind: 'tombstone',
      write: context.store.prepareInvalidate(entry.key, entry.timestamp),
    };
  });
  return runOps(context, ops, options);
}

/** Writes values for many keys, as {@link invalidateMany} does tombstones (InvalidValueError too, before anything). */
export async function setMany<T>(
  context: BatchContext,
  entries: readonly SetEntry<T>[],
  options: BatchWriteOptions = {},
): Promise<BatchWriteResult[]> {
  assertArray(entries, 'entries');
  const ops = entries.map((entry, index): Op => {
    assertEntry(entry, index);
    const write = context.store.prepareWrite(entry.key, entry.value, entry.timestamp);
    return { index, key: entry.key, kind: 'value', write };
  });
  return runOps(context, ops, options);
}

async function runOps(context: BatchContext, ops: Op[], options: BatchWriteOptions): Promise<BatchWriteResult[]> {
  const concurrency = options.concurrency ?? DEFAULT_CONCURRENCY;
  if (!Number.isSafeInteger(concurrency) || concurrency < 1)
    throw new InvalidOptionsError(`options.concurrency must be a positive integer, got ${String(concurrency)}`);
  options.signal?.throwIfAborted();
  // One lock per distinct key: two acquisitions of one key in a batch would queue behind each other.
  const byKey = new Map<string, Op[]>();
  for (const op of ops) {
    const group = byKey.get(op.key);
    if (group) group.push(op);
    else byKey.set(op.key, [op]);
  }
  const results = new Array<BatchWriteResult>(ops.length);
  const groups = [...byKey.values()];
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < groups.length) {
      const group = groups[next++]!;
      await runGroup(context, group, options, results);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, groups.length) }, lane));
  return results;
}

async function runGroup(
  context: BatchContext,
  group: Op[],
  options: BatchWriteOptions,
  results: BatchWriteResult[],
): Promise<void> {
  const key = group[0]!.key;
  let lock: Awaited<ReturnType<LockManager['acquire']>> | undefined;
  try {
    lock = await context.locks.acquire(key, {
      timeoutMs: options.timeoutMs ?? context.lockTimeoutMs,
      signal: options.signal,
    });
    for (const op of group) {
      const timestamp = BigInt(op.write.timestamp);
      try {
        const result = await op.write.run();
        context.report(key, op.write.timestamp, op.kind, op.kind === 'value' ? 'set' : 'invalidate', result);
        results[op.index] = { key, timestamp, ...result };
      } catch (error) {
        results[op.index] = { key, timestamp, status: 'failed', error };
      }
    }
  } catch (error) {
    for (const op of group)
      results[op.index] ??= { key, timestamp: BigInt(op.write.timestamp), status: 'failed', error };
  } finally {
    // Not awaited: the lane moves on while the znode delete travels (it is retried in the background,
    // and close() waits for it); the next contender of this key is woken by the delete itself.
    void lock?.release().catch(() => undefined);
  }
}

function assertArray(entries: unknown, argName: string): asserts entries is unknown[] {
  if (!Array.isArray(entries)) throw new TypeError(`${argName} must be an array`);
}

// Names the entry in the error; the store's own checks then pass.
function assertEntry(entry: { key: unknown; timestamp: unknown } | null, index: number): void {
  if (entry === null || typeof entry !== 'object') throw new TypeError(`entries[${index}] must be an object`);
  assertValidKey(entry.key, `entries[${index}].key`);
  canonicalTimestamp(entry.timestamp as TimestampInput, `entries[${index}].timestamp`);
}
