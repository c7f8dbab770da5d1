import { assertValidKey } from '../core/key.js';
import { canonicalTimestamp, type TimestampInput } from '../core/timestamp.js';
import { InvalidOptionsError } from '../errors.js';
import type { WriteResult } from '../redis/entry.js';
import type { OrderedStore, PreparedWrite } from '../redis/ordered-store.js';
import type { Lock } from '../zookeeper/held-lock.js';
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
   * How many distinct keys are in flight at once. The keys started together take their locks with
   * a few ZooKeeper multis (LockManager.acquireMany); each key's lock wait includes queueing behind
   * the others in flight at ZooKeeper, so a much larger value risks lock timeouts on a busy server.
   * @default 512
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

const DEFAULT_CONCURRENCY = 512;

/**
 * Writes tombstones for many keys. Every entry is validated first (InvalidKeyError,
 * InvalidTimestampError: nothing is locked or written if one is bad); then each distinct key takes
 * its lock and runs its writes in the given order, up to `concurrency` keys at a time. The lock
 * creates and releases of the keys in flight travel as ZooKeeper multis and the script calls are
 * pipelined on the Redis connection, so a batch costs a few requests, not several per key.
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
  const lockOptions = { timeoutMs: options.timeoutMs ?? context.lockTimeoutMs, signal: options.signal };
  let next = 0;
  let inFlight = 0;
  let refillQueued = false;
  await new Promise<void>((resolve) => {
    // A window of `concurrency` keys that slides: the slots freed in one turn are refilled together
    // in the next tick, and the keys started together take their locks with one acquireMany (a few
    // ZooKeeper multis), not a create per key; no key waits for the slowest of a fixed chunk.
    const refill = (): void => {
      refillQueued = false;
      const started = groups.slice(next, next + concurrency - inFlight);
      next += started.length;
      inFlight += started.length;
      if (inFlight === 0) {
        resolve();
        return;
      }
      const locks = context.locks.acquireMany(
        started.map((group) => group[0]!.key),
        lockOptions,
      );
      started.forEach((group, i) => {
        void runGroup(context, group, locks[i]!, results).then(() => {
          inFlight -= 1;
          if (refillQueued) return;
          refillQueued = true;
          process.nextTick(refill);
        });
      });
    };
    refill();
  });
  return results;
}

/** One key's writes under its lock, in the given order; never rejects (failures go in `results`). */
async function runGroup(
  context: BatchContext,
  group: Op[],
  locked: Promise<Lock>,
  results: BatchWriteResult[],
): Promise<void> {
  const key = group[0]!.key;
  let lock: Lock | undefined;
  try {
    lock = await locked;
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
    // Not awaited: the key's slot is refilled while the znode delete travels (it is retried in the
    // background, and close() waits for it); the next contender of this key is woken by the delete itself.
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
