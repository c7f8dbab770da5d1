import { sleep } from '../../core/deadline.js';
import type { DecodedTransaction, KeyWrite } from './change-decoder.js';
import type { BatchOutcome, FollowerCache } from './follower-cache.js';
import { type TruncateWrites, truncateWrites } from './truncate-keys.js';

/** What one applied batch did (the `batch` event). */
export interface BatchStats {
  transactions: number;
  /** Row changes of mapped tables in these transactions. */
  changes: number;
  /** Distinct cache writes sent (after keeping the highest version per key). */
  writes: number;
  written: number;
  duplicate: number;
  stale: number;
  /** Attempts after the first (Redis or ZooKeeper refused some writes). */
  retries: number;
  durationMs: number;
  /** Commit of the batch's last transaction → applied, in ms. */
  lagMs: number;
}

export interface ApplierHooks {
  /** Every write up to and including the transaction ending at `lsn` is accepted by Redis. */
  confirm(lsn: bigint, stats: BatchStats): void;
  /** A batch attempt left writes failed; they are retried after `delayMs`. */
  retry(error: unknown, attempt: number, delayMs: number): void;
  /** A value the cache refused (e.g. over maxValueBytes): its key is invalidated instead. */
  refusedValue(write: KeyWrite, error: unknown): void;
  /** After `confirm`: a TRUNCATE's keys were tombstoned at its version. */
  truncated(table: string, version: bigint, keys: number): void;
  /** A batch left the queue (applied, or given up on abort): `backlog` shrank. */
  dequeued(): void;
}

/**
 * Applies committed transactions to the cache in stream order, a batch at a time, and confirms a
 * batch's last LSN only once every write of it was accepted. Failed writes are retried with
 * backoff and never skipped; the loop stops confirming until they succeed.
 */
export class Applier {
  readonly #cache: FollowerCache;
  readonly #maxBatchChanges: number;
  readonly #maxRetryDelayMs: number;
  readonly #hooks: ApplierHooks;
  readonly #queue: DecodedTransaction[] = [];
  #backlog = 0;
  #wake: (() => void) | undefined;
  #busy = false;

  constructor(cache: FollowerCache, maxBatchChanges: number, maxRetryDelayMs: number, hooks: ApplierHooks) {
    this.#cache = cache;
    this.#maxBatchChanges = maxBatchChanges;
    this.#maxRetryDelayMs = maxRetryDelayMs;
    this.#hooks = hooks;
  }

  enqueue(tx: DecodedTransaction): void {
    this.#queue.push(tx);
    this.#backlog += tx.writes.length + 1;
    this.#wake?.();
  }

  /** Queued work (writes plus one per transaction), for backpressure on the stream. */
  get backlog(): number {
    return this.#backlog;
  }

  /** Nothing queued and no batch in flight: everything received is confirmed. */
  get idle(): boolean {
    return this.#queue.length === 0 && !this.#busy;
  }

  /**
   * Applies batches until `stop` aborts (then returns after the batch in flight, confirmed) or
   * `abort` aborts (returns at once: the batch in flight is neither retried nor confirmed).
   */
  async run(stop: AbortSignal, abort: AbortSignal): Promise<void> {
    const wakeUp = () => this.#wake?.();
    stop.addEventListener('abort', wakeUp);
    abort.addEventListener('abort', wakeUp);
    try {
      while (!stop.aborted && !abort.aborted) {
        if (this.#queue.length === 0) {
          await new Promise<void>((resolve) => {
            this.#wake = resolve;
          });
          this.#wake = undefined;
          continue;
        }
        this.#busy = true;
        try {
          await this.#applyBatch(abort);
        } finally {
          this.#busy = false;
          this.#hooks.dequeued();
        }
      }
    } finally {
      stop.removeEventListener('abort', wakeUp);
      abort.removeEventListener('abort', wakeUp);
    }
  }

  async #applyBatch(abort: AbortSignal): Promise<void> {
    const started = performance.now();
    const batch: DecodedTransaction[] = [];
    let size = 0;
    while (
      this.#queue.length > 0 &&
      (batch.length === 0 || size + this.#queue[0]!.writes.length <= this.#maxBatchChanges)
    ) {
      const tx = this.#queue.shift()!;
      batch.push(tx);
      size += tx.writes.length;
      this.#backlog -= tx.writes.length + 1;
    }
    const stats: BatchStats = {
      transactions: batch.length,
      changes: 0,
      writes: 0,
      written: 0,
      duplicate: 0,
      stale: 0,
      retries: 0,
      durationMs: 0,
      lagMs: 0,
    };
    for (const tx of batch) stats.changes += tx.changes;
    const marks = batch.flatMap((tx) => tx.truncates);
    // A TRUNCATE's keys are found by SCAN, retried like any write: it is part of the batch.
    let truncates: TruncateWrites | undefined = marks.length === 0 ? { writes: [], tables: [] } : undefined;
    let pending = truncates ? highestPerKey(batch, []) : [];
    stats.writes = pending.length;
    let firstError: unknown;
    for (let attempt = 0; !truncates || pending.length > 0; attempt++) {
      if (abort.aborted) return;
      if (attempt > 0) {
        stats.retries += 1;
        const delayMs = Math.min(this.#maxRetryDelayMs, 100 * 2 ** Math.min(attempt - 1, 10));
        this.#hooks.retry(firstError, attempt, delayMs);
        await sleep(delayMs, abort).catch(() => undefined);
        if (abort.aborted) return;
      }
      firstError = undefined;
      if (!truncates) {
        try {
          truncates = await truncateWrites(this.#cache, marks);
        } catch (error) {
          firstError = error;
          continue;
        }
        pending = highestPerKey(batch, truncates.writes);
        stats.writes = pending.length;
      }
      const failed: KeyWrite[] = [];
      for (let i = 0; i < pending.length; i += this.#maxBatchChanges) {
        const chunk = pending.slice(i, i + this.#maxBatchChanges);
        let outcomes: BatchOutcome[];
        try {
          outcomes = await this.#send(chunk);
        } catch (error) {
          outcomes = chunk.map((w) => ({ key: w.key, status: 'failed', error }));
        }
        outcomes.forEach((outcome, j) => {
          if (outcome.status === 'failed') {
            failed.push(chunk[j]!);
            firstError ??= outcome.error;
          } else stats[outcome.status] += 1;
        });
      }
      pending = failed;
    }
    stats.durationMs = performance.now() - started;
    const last = batch[batch.length - 1]!;
    stats.lagMs = Math.max(0, Date.now() - last.commitTimeMs);
    this.#hooks.confirm(last.endLsn, stats);
    for (const t of truncates.tables) this.#hooks.truncated(t.table, t.version, t.keys);
  }

  /** Tombstones and values of one chunk, in flight together; results in the chunk's order. */
  async #send(chunk: KeyWrite[]): Promise<BatchOutcome[]> {
    const tombstones: number[] = [];
    const values: number[] = [];
    for (const [i, w] of chunk.entries()) (w.kind === 'tombstone' ? tombstones : values).push(i);
    const [dead, live] = await Promise.all([
      tombstones.length === 0
        ? []
        : this.#cache.invalidateMany(tombstones.map((i) => ({ key: chunk[i]!.key, timestamp: chunk[i]!.version }))),
      values.length === 0 ? [] : this.#setValues(values.map((i) => chunk[i]!)),
    ]);
    const out = new Array<BatchOutcome>(chunk.length);
    tombstones.forEach((i, j) => {
      out[i] = dead[j]!;
    });
    values.forEach((i, j) => {
      out[i] = live[j]!;
    });
    return out;
  }

  // A value the cache refuses as bad input would fail the whole call on every retry: find it,
  // report it, and invalidate its key at that version instead (the reader then loads the row).
  async #setValues(writes: KeyWrite[]): Promise<BatchOutcome[]> {
    const entries = writes.map((w) => ({ key: w.key, value: w.value, timestamp: w.version }));
    try {
      return await this.#cache.setMany(entries);
    } catch (error) {
      if ((error as { code?: string }).code !== 'E_INVALID_VALUE') throw error;
    }
    return Promise.all(
      writes.map(async (w, i) => {
        try {
          return (await this.#cache.setMany([entries[i]!]))[0]!;
        } catch (error) {
          if ((error as { code?: string }).code !== 'E_INVALID_VALUE') throw error;
          this.#hooks.refusedValue(w, error);
          return (await this.#cache.invalidateMany([{ key: w.key, timestamp: w.version }]))[0]!;
        }
      }),
    );
  }
}

// The highest version per key and kind wins: a lower tombstone or value of the same key in the same
// batch would be `stale` anyway. A key's tombstone and value both go: they order by version in Redis.
function highestPerKey(batch: readonly DecodedTransaction[], extra: readonly KeyWrite[]): KeyWrite[] {
  const best = new Map<string, KeyWrite>();
  for (const writes of [...batch.map((tx) => tx.writes), extra])
    for (const write of writes) {
      const id = `${write.kind}\u0000${write.key}`;
      const seen = best.get(id);
      if (!seen || write.version >= seen.version) best.set(id, write);
    }
  return [...best.values()];
}
