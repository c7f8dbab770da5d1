import type { Pgoutput } from 'pg-logical-replication';
import { assertValidKey } from '../../core/key.js';
import { TRUNCATE_MESSAGE_PREFIX, type TruncateMessage } from '../truncate-trigger.js';
import type { ChangedRow, ResolvedTable } from './follower-options.js';
import { parseLsn } from './lsn.js';

/** One cache write a change asks for: a tombstone, or (with a `value` mapping) the new row. */
export interface KeyWrite {
  key: string;
  version: bigint;
  kind: 'tombstone' | 'value';
  value?: unknown;
}

/** A committed transaction, reduced to the cache writes of its mapped rows. */
export interface DecodedTransaction {
  /** Where the commit record ends: confirming it tells PostgreSQL this transaction is done. */
  endLsn: bigint;
  /** Commit time, ms since the epoch. */
  commitTimeMs: number;
  /** Row changes of mapped tables (skipped rows included). */
  changes: number;
  writes: KeyWrite[];
  /** TRUNCATEs of template-mapped tables: every cached key of the table is tombstoned at `version`. */
  truncates: TruncateMark[];
}

/** A TRUNCATE whose keys can be found (a template mapping) and the version its trigger drew. */
export interface TruncateMark {
  table: ResolvedTable;
  version: bigint;
}

/** Why a TRUNCATE left the cache untouched. */
export type UntouchedTruncateReason = 'function-mapping' | 'no-truncate-trigger';

/** A row the follower could not map: reported, skipped, and the stream goes on. */
export interface RowProblem {
  table: string;
  operation: 'insert' | 'update' | 'delete';
  /** The row's replica-identity (primary key) columns. */
  primaryKey: Record<string, unknown>;
  error: unknown;
}

/** What the decoder reports besides transactions. */
export interface DecoderSink {
  transaction(tx: DecodedTransaction): void;
  problem(problem: RowProblem): void;
  /** A TRUNCATE of mapped tables whose keys cannot be found: nothing is invalidated. */
  truncate(tables: string[], reason: UntouchedTruncateReason): void;
}

/**
 * Turns pgoutput messages (in stream order) into committed transactions of cache writes.
 * INSERT and UPDATE write at the new row's version; an UPDATE that moved a row to other keys also
 * tombstones the old ones. A DELETE tombstones at the deleted row's version + 1: above the cached
 * row (a tombstone at an equal version loses to the value), and at or below any re-insert, whose
 * version comes later from the same sequence (a value at an equal version wins over a tombstone).
 */
export class ChangeDecoder {
  readonly #tables: Map<string, ResolvedTable>;
  readonly #sink: DecoderSink;
  #open: DecodedTransaction | undefined;

  constructor(tables: readonly ResolvedTable[], sink: DecoderSink) {
    this.#tables = new Map(tables.map((t) => [t.id, t]));
    this.#sink = sink;
  }

  /** True between a BEGIN and its COMMIT. */
  get inTransaction(): boolean {
    return this.#open !== undefined;
  }

  push(message: Pgoutput.Message): void {
    switch (message.tag) {
      case 'begin':
        this.#open = {
          endLsn: 0n,
          commitTimeMs: Number(BigInt(message.commitTime as bigint) / 1000n),
          changes: 0,
          writes: [],
          truncates: [],
        };
        return;
      case 'commit': {
        const tx = this.#open;
        this.#open = undefined;
        if (tx && message.commitEndLsn) {
          tx.endLsn = parseLsn(message.commitEndLsn);
          this.#sink.transaction(tx);
        }
        return;
      }
      case 'insert':
        this.#row(message.relation, 'insert', undefined, message.new);
        return;
      case 'update':
        this.#row(message.relation, 'update', message.old ?? undefined, message.new);
        return;
      case 'delete':
        this.#row(message.relation, 'delete', message.old ?? undefined, undefined, message.key ?? undefined);
        return;
      case 'message':
        if (message.transactional && message.prefix === TRUNCATE_MESSAGE_PREFIX) this.#truncateMessage(message.content);
        return;
      case 'truncate':
        this.#truncate(message.relations.map((r) => `${r.schema}.${r.name}`));
        return;
      default:
        return;
    }
  }

  // The trigger's message comes before the TRUNCATE itself, in the same transaction.
  #truncateMessage(content: Uint8Array): void {
    const tx = this.#open;
    let parsed: Partial<TruncateMessage> | undefined;
    try {
      parsed = JSON.parse(Buffer.from(content).toString('utf8')) as Partial<TruncateMessage>;
    } catch {
      return; // not ours after all: the TRUNCATE then reports itself as untouched
    }
    const table = this.#tables.get(`${parsed?.schema}.${parsed?.table}`);
    if (!tx || !table?.templates || parsed?.column !== table.column || !/^\d{1,19}$/.test(String(parsed.version)))
      return;
    tx.truncates.push({ table, version: BigInt(parsed.version as string) });
  }

  #truncate(ids: string[]): void {
    const tx = this.#open;
    const byFunction: string[] = [];
    const withoutTrigger: string[] = [];
    for (const id of ids) {
      const table = this.#tables.get(id);
      if (!table) continue;
      if (tx) tx.changes += 1;
      if (!table.templates) byFunction.push(id);
      else if (!tx?.truncates.some((t) => t.table === table)) withoutTrigger.push(id);
    }
    if (byFunction.length > 0) this.#sink.truncate(byFunction, 'function-mapping');
    if (withoutTrigger.length > 0) this.#sink.truncate(withoutTrigger, 'no-truncate-trigger');
  }

  #row(
    relation: Pgoutput.MessageRelation,
    operation: RowProblem['operation'],
    old: ChangedRow | undefined,
    row: ChangedRow | undefined,
    keyOnly?: ChangedRow,
  ): void {
    const table = this.#tables.get(`${relation.schema}.${relation.name}`);
    const tx = this.#open;
    if (!table || !tx) return;
    tx.changes += 1;
    try {
      tx.writes.push(...writesOf(table, operation, old, row));
    } catch (error) {
      const source = row ?? old ?? keyOnly ?? {};
      const columns = table.primaryKey.length > 0 ? table.primaryKey : relation.keyColumns;
      const primaryKey = Object.fromEntries(columns.map((c) => [c, source[c]]));
      this.#sink.problem({ table: table.id, operation, primaryKey, error });
    }
  }
}

function writesOf(
  table: ResolvedTable,
  operation: RowProblem['operation'],
  old: ChangedRow | undefined,
  row: ChangedRow | undefined,
): KeyWrite[] {
  if (operation === 'delete') {
    if (!old)
      throw new Error(
        `a DELETE without the old row: table ${table.id} is not REPLICA IDENTITY FULL (ensureVersionColumn's replicaIdentityFull)`,
      );
    const version = versionOf(table, old) + 1n;
    return keysOf(table, old).map((key) => ({ key, version, kind: 'tombstone' }));
  }
  const current = row!;
  const version = versionOf(table, current);
  const keys = keysOf(table, current);
  const writes: KeyWrite[] = table.value
    ? keys.map((key) => ({ key, version, kind: 'value', value: table.value!(current) }))
    : keys.map((key) => ({ key, version, kind: 'tombstone' }));
  if (old)
    for (const key of keysOf(table, old)) if (!keys.includes(key)) writes.push({ key, version, kind: 'tombstone' });
  return writes;
}

function versionOf(table: ResolvedTable, row: ChangedRow): bigint {
  const raw = row[table.column];
  const text = typeof raw === 'bigint' || typeof raw === 'number' || typeof raw === 'string' ? String(raw) : '';
  if (!/^\d{1,19}$/.test(text))
    throw new Error(`column ${table.column} of ${table.id} holds ${JSON.stringify(String(raw))}, not a version`);
  return BigInt(text);
}

function keysOf(table: ResolvedTable, row: ChangedRow): string[] {
  const mapped = table.key(row);
  const keys = typeof mapped === 'string' ? [mapped] : Array.isArray(mapped) ? [...mapped] : undefined;
  if (!keys) throw new TypeError(`the key mapping of ${table.id} returned ${typeof mapped}, not a string or an array`);
  for (const [i, key] of keys.entries())
    assertValidKey(key, `the key mapping of ${table.id}${keys.length > 1 ? `[${i}]` : ''}`);
  return keys;
}
