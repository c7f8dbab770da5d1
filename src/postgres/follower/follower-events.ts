import { EventEmitter } from 'node:events';
import type { BatchStats } from './applier.js';
import type { RowProblem, UntouchedTruncateReason } from './change-decoder.js';

/** Events of a follower: `follower.events.on('batch', …)`. */
export interface FollowerEvents {
  /** This follower won the election and streams the slot. */
  active: { slot: string; sessionId: string };
  /** It stopped streaming: `lock-lost` (the election node is gone; it contends again) or `closed`; `error`: the last stream failure of its term. */
  inactive: { slot: string; reason: 'lock-lost' | 'closed'; error?: unknown };
  /** A batch was accepted by Redis and its last LSN confirmed to PostgreSQL. */
  batch: BatchStats & { confirmedLsn: string };
  /** Changes applied so far and the lag of the latest (commit → applied, ms). */
  applied: { changes: number; total: number; lagMs: number; confirmedLsn: string };
  /** A batch is retried: Redis or ZooKeeper refused some writes; nothing is confirmed meanwhile. */
  retry: { attempt: number; delayMs: number; error: unknown };
  /**
   * A problem that skipped nothing else: a row whose mapping threw or returned an invalid key (that
   * row only is skipped), a value the cache refused (its key is invalidated instead), or a stream
   * that failed (it reconnects and resumes from the confirmed LSN).
   */
  error:
    | { kind: 'row'; problem: RowProblem }
    | { kind: 'value'; key: string; error: unknown }
    | { kind: 'stream'; error: unknown };
  /**
   * TRUNCATE of mapped tables whose keys cannot be found, so nothing was invalidated: the mapping is
   * a function (`function-mapping`: map the table with a key template instead) or the table lacks
   * the truncate trigger (`no-truncate-trigger`: re-run ensureVersionColumn). Their cached keys stay
   * until invalidated by hand (`zkoc scan` / `zkoc invalidate`) or their TTL.
   */
  truncate: { tables: string[]; reason: UntouchedTruncateReason };
  /** A TRUNCATE of a template-mapped table: its `keys` cached keys were tombstoned at `version` (then confirmed). */
  truncated: { table: string; version: bigint; keys: number };
}

export type FollowerEventName = keyof FollowerEvents;

/** A typed EventEmitter for {@link FollowerEvents}; a listener's exception never reaches the follower. */
export class FollowerEventEmitter {
  readonly #emitter = new EventEmitter();

  on<E extends FollowerEventName>(event: E, listener: (data: FollowerEvents[E]) => void): this {
    this.#emitter.on(event, listener);
    return this;
  }

  off<E extends FollowerEventName>(event: E, listener: (data: FollowerEvents[E]) => void): this {
    this.#emitter.off(event, listener);
    return this;
  }

  once<E extends FollowerEventName>(event: E, listener: (data: FollowerEvents[E]) => void): this {
    this.#emitter.once(event, listener);
    return this;
  }

  /** @internal */
  emit<E extends FollowerEventName>(event: E, data: FollowerEvents[E]): void {
    if (this.#emitter.listenerCount(event) === 0) return;
    try {
      this.#emitter.emit(event, data);
    } catch {
      // Observability must never change what the follower does.
    }
  }
}
