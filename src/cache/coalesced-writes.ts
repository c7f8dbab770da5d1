import type { WriteResult } from '../redis/entry.js';
import type { PreparedWrite } from '../redis/ordered-store.js';
import type { FillPath } from './fill-path.js';
import { type CoalescibleWrite, WriteCoalescer } from './write-coalescer.js';

/** A validated `set` or `invalidate`, ready to send once its key's lock is held. */
export interface CacheWrite extends CoalescibleWrite {
  readonly prepared: PreparedWrite;
  readonly source: 'set' | 'invalidate';
}

/** A prepared `set`/`invalidate` as a write the coalescer can order. */
export function cacheWrite(prepared: PreparedWrite, source: 'set' | 'invalidate'): CacheWrite {
  const kind = source === 'set' ? 'value' : 'tombstone';
  return { prepared, source, kind, timestamp: BigInt(prepared.timestamp) };
}

/** Sends `write` under its key's lock through the fill path (spans, events, read invalidation). */
export function sendHolding<T>(fill: FillPath<T>, key: string, write: CacheWrite): Promise<WriteResult> {
  return fill.written(key, write.prepared.timestamp, write.kind, write.source, write.prepared.run());
}

/**
 * The cache's write coalescer: one lock cycle (`lockTimeoutMs`, no signal: a group serves many
 * callers) per group of folded writes; a folded call's result is reported like any write's.
 */
export function coalescedWrites<T>(fill: FillPath<T>, lockTimeoutMs: number): WriteCoalescer<CacheWrite> {
  return new WriteCoalescer<CacheWrite>(
    (key, take) => fill.holding(key, { timeoutMs: lockTimeoutMs }, () => sendHolding(fill, key, take())),
    (key, write, result) => fill.report(key, write.prepared.timestamp, write.kind, write.source, result),
  );
}
