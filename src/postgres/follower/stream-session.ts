import type pg from 'pg';
import { LogicalReplicationService, PgoutputPlugin } from 'pg-logical-replication';
import { SlotInUseError } from '../../errors.js';
import { Applier } from './applier.js';
import { ChangeDecoder } from './change-decoder.js';
import type { FollowerCache } from './follower-cache.js';
import type { FollowerEventEmitter } from './follower-events.js';
import type { ResolvedFollowerOptions } from './follower-options.js';
import { formatLsn, parseLsn } from './lsn.js';
import { ensureSlot, slotHolder, terminateHolder } from './preflight.js';

/** What one leadership term's streaming needs. */
export interface StreamContext {
  options: ResolvedFollowerOptions;
  admin: pg.Pool;
  cache: FollowerCache;
  events: FollowerEventEmitter;
  /** This namespace's followers' application_name: a walsender with it is ours to terminate. */
  applicationName: string;
  /** Changes applied by this follower, across terms. */
  counters: { changes: number };
}

/**
 * Streams the slot until `lost` aborts (returns at once, confirming nothing more), `stopping`
 * aborts (finishes the batch in flight, confirms it, returns), or the stream fails (throws; the
 * caller reconnects, and PostgreSQL resends everything after the confirmed LSN).
 * @throws SlotInUseError when a consumer that is not one of ours holds the slot.
 */
export async function streamSlot(context: StreamContext, stopping: AbortSignal, lost: AbortSignal): Promise<void> {
  const { options, admin, events } = context;
  await freeSlot(context);
  let confirmed = await ensureSlot(admin, options.slot);
  const service = new LogicalReplicationService(
    { ...options.database, application_name: context.applicationName } as pg.ClientConfig,
    // Manual acknowledgement only: the library's timer would confirm what was received, not applied.
    { acknowledge: { auto: false, timeoutSeconds: 0 } },
  );
  // The library reports `lsn + 1` as flushed. PostgreSQL skips, on restart, every transaction whose
  // commit record starts before the flushed position, and the next commit may start exactly at a
  // commit's end: so report the end itself.
  const acknowledge = () => void service.acknowledge(formatLsn(confirmed - 1n)).catch(() => undefined);
  const applied = new AbortController(); // stops the applier without confirming
  const applier = new Applier(context.cache, options.maxBatchChanges, options.maxRetryDelayMs, {
    confirm(lsn, stats) {
      if (applied.signal.aborted) return;
      if (lsn > confirmed) confirmed = lsn;
      acknowledge();
      context.counters.changes += stats.changes;
      const confirmedLsn = formatLsn(confirmed);
      events.emit('batch', { ...stats, confirmedLsn });
      events.emit('applied', {
        changes: stats.changes,
        total: context.counters.changes,
        lagMs: stats.lagMs,
        confirmedLsn,
      });
    },
    retry: (error, attempt, delayMs) => events.emit('retry', { attempt, delayMs, error }),
    dequeued: () => {
      if (applier.backlog <= options.maxBatchChanges) socketOf(service)?.resume();
    },
    refusedValue: (write, error) => events.emit('error', { kind: 'value', key: write.key, error }),
    truncated: (table, version, keys) => events.emit('truncated', { table, version, keys }),
  });
  let streamError: unknown;
  const decoder = new ChangeDecoder(options.tables, {
    transaction: (tx) => {
      applier.enqueue(tx);
      // Backpressure: while Redis lags (or is down), stop reading rather than queue without bound.
      // PostgreSQL keeps the rest in the slot; acks of applied batches keep the walsender alive.
      if (applier.backlog > 4 * options.maxBatchChanges) socketOf(service)?.pause();
    },
    problem: (problem) => events.emit('error', { kind: 'row', problem }),
    truncate: (tables, reason) => events.emit('truncate', { tables, reason }),
  });
  service.on('data', (_lsn: string, message) => {
    try {
      decoder.push(message);
    } catch (error) {
      // Never skip a change: end this stream unconfirmed; the next one resends from the confirmed LSN.
      streamError ??= error;
      void service.stop().catch(() => undefined);
    }
  });
  service.on('heartbeat', (lsn: string, _time: number, shouldRespond: boolean) => {
    // Idle: everything sent before this keepalive was applied, so its position is done too (else
    // an idle slot would retain WAL written for unmapped tables forever).
    const position = parseLsn(lsn);
    const advance = !decoder.inTransaction && applier.idle && position > confirmed;
    if (advance) confirmed = position;
    if (advance || shouldRespond) acknowledge();
  });
  service.on('error', (error: unknown) => {
    streamError ??= error;
  });
  const ended = new AbortController();
  const onLost = () => {
    applied.abort();
    void service.stop().catch(() => undefined); // stop streaming at once: another follower leads now
  };
  // The election may have been lost while we freed the slot: never start streaming then.
  if (lost.aborted || stopping.aborted) return;
  lost.addEventListener('abort', onLost, { once: true });
  const subscription = service
    .subscribe(
      new PgoutputPlugin({ protoVersion: 1, publicationNames: [options.publication], messages: true }),
      options.slot,
      formatLsn(confirmed),
    )
    .then(
      () => undefined,
      (error: unknown) => {
        streamError ??= error;
      },
    )
    .finally(() => ended.abort());
  try {
    const stopOrEnd = AbortSignal.any([stopping, ended.signal]);
    await applier.run(stopOrEnd, AbortSignal.any([applied.signal, ended.signal]));
    if (lost.aborted) return;
    if (ended.signal.aborted) throw streamError ?? new Error('the replication stream ended');
  } finally {
    lost.removeEventListener('abort', onLost);
    applied.abort();
    await service.stop().catch(() => undefined);
    await subscription;
  }
}

/** The replication connection's socket (pg-logical-replication does not expose it). */
function socketOf(service: LogicalReplicationService): { pause(): void; resume(): void } | undefined {
  return (service as unknown as { _connection?: { stream?: { pause(): void; resume(): void } } })._connection?.stream;
}

/** Terminates a stale walsender of ours that still holds the slot; refuses a foreign consumer's. */
async function freeSlot(context: StreamContext): Promise<void> {
  const holder = await slotHolder(context.admin, context.options.slot);
  if (!holder) return;
  if (holder.applicationName !== context.applicationName)
    throw new SlotInUseError(
      context.options.slot,
      holder.pid,
      `application_name ${JSON.stringify(holder.applicationName)}`,
    );
  await terminateHolder(context.admin, context.options.slot, holder.pid);
}
