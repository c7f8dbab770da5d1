import type pg from 'pg';
import { InvalidOptionsError } from '../errors.js';
import {
  assertIdentifier,
  defaultSequenceFor,
  type ParsedRelation,
  parseRelation,
  qualifiedName,
  quoteIdent,
  type RelationName,
} from './identifiers.js';
import { moveToSequence } from './move-sequence.js';
import { isPool, type PgQueryable } from './queryable.js';
import { assertSequenceNotOwned, ensureTruncateTrigger, literal } from './truncate-trigger.js';
import { findVersionTrigger, triggerNameFor, VERSION_FUNCTION_NAME } from './version-trigger.js';

/** Options of {@link ensureVersionColumn}. */
export interface EnsureVersionColumnOptions {
  /** The table, `"table"`, `"schema.table"` or `{ schema, name }`; names are verbatim (case-sensitive). Required. */
  table: RelationName;
  /** The version column. @default 'cache_version' */
  column?: string;
  /**
   * The sequence feeding it (created if absent; must have CACHE 1, a positive increment, NO CYCLE).
   * Tables whose rows feed one cache key must share one (see README, "Writes that bypass the
   * library"). Given for a table already versioned from another sequence, the table is moved onto
   * this one: it is first raised above every version the table's old sequence gave out.
   * @default the sequence the table's version trigger already uses, else `<table>_<column>_seq` in the table's schema
   */
  sequence?: RelationName;
  /**
   * Also sets `REPLICA IDENTITY FULL`, so a DELETE in the change stream carries the deleted row
   * (its version and every column a key mapping reads): required by `startFollower`. Costs WAL: an
   * UPDATE or DELETE then logs the whole old row. @default false
   */
  replicaIdentityFull?: boolean;
}

/** What {@link ensureVersionColumn} found and did. */
export interface EnsureVersionColumnResult {
  /** `"schema"."table"`, quoted. */
  table: string;
  column: string;
  /** `"schema"."sequence"`, quoted: pass it to deleteVersioned's `sequence` if you chose your own. */
  sequence: string;
  trigger: string;
  createdSequence: boolean;
  addedColumn: boolean;
  createdTrigger: boolean;
  /** True when this run added the `BEFORE TRUNCATE` trigger (an install from before it gains it on a re-run). */
  createdTruncateTrigger: boolean;
  /** True when this run set REPLICA IDENTITY FULL (it was asked for and not yet set). */
  setReplicaIdentityFull: boolean;
  /**
   * Set when this run moved the table's triggers from this sequence onto `sequence` (an explicit
   * `options.sequence` differing from the one in use), after raising `sequence` above every version
   * the table or its old sequence gave out. The old sequence is left in place, unused by the table.
   */
  movedFromSequence?: string;
}

// One key for every zkoc migration in the database: migrations are rare, serializing them is free.
const MIGRATION_LOCK_SQL = `SELECT pg_advisory_xact_lock(hashtext('zk-ordered-cache:ensureVersionColumn'))`;

/** The trigger function: one per schema, told the sequence and column by the trigger's arguments. */
const TRIGGER_FUNCTION_NAME = VERSION_FUNCTION_NAME;
const TRIGGER_FUNCTION_BODY = `
BEGIN
  -- TG_ARGV[0]: the sequence (quoted, qualified); TG_ARGV[1]: the version column, verbatim.
  -- Runs BEFORE the row is written and, for UPDATE, after the row lock is taken, so versions of
  -- one row increase in commit order. Any value the statement set for the column is replaced.
  NEW := jsonb_populate_record(NEW, jsonb_build_object(TG_ARGV[1], nextval(TG_ARGV[0]::regclass)));
  RETURN NEW;
END
`;

/**
 * Idempotent migration: gives `table` a `bigint NOT NULL` version column fed by a sequence in a
 * `BEFORE INSERT OR UPDATE … FOR EACH ROW` trigger, so every insert and update gets a strictly
 * increasing version, in commit order per row. Existing rows get distinct versions. A
 * `BEFORE TRUNCATE … FOR EACH STATEMENT` trigger draws a version for a TRUNCATE too and emits it
 * as the logical-decoding message `zkoc.truncate` (startFollower tombstones the table's keys at it).
 *
 * With `sequence` naming another sequence than the one the table's trigger uses, the table is moved
 * onto it (README, "One key, one sequence"; docs/design.md): tables that feed one cache key must
 * share one.
 *
 * Safe to run concurrently (one transaction under an advisory lock) and repeatedly (a second run
 * changes nothing). Blocks while another migration holds the lock and while it takes the table's
 * lock for DDL. With a pool it checks out one connection; with a client, that client must not be
 * inside a transaction.
 *
 * Throws {@link InvalidOptionsError} for a missing table, a bad identifier, an existing column
 * that is not bigint, a sequence with CACHE > 1 / non-positive increment / CYCLE (their values
 * would not increase in call order) or OWNED BY a column (TRUNCATE … RESTART IDENTITY would restart it); PostgreSQL errors propagate (the transaction is rolled back).
 */
export async function ensureVersionColumn(
  db: PgQueryable,
  options: EnsureVersionColumnOptions,
): Promise<EnsureVersionColumnResult> {
  if (options === null || typeof options !== 'object')
    throw new InvalidOptionsError('options must be an object with at least { table }');
  const requested = parseRelation(options.table, 'options.table');
  const column = options.column ?? 'cache_version';
  assertIdentifier(column, 'options.column');
  const requestedSequence =
    options.sequence === undefined ? undefined : parseRelation(options.sequence, 'options.sequence');
  const trigger = triggerNameFor(column);

  const client = isPool(db) ? await db.connect() : db;
  try {
    await client.query('BEGIN');
    try {
      await client.query(MIGRATION_LOCK_SQL);
      const result = await migrate(
        client,
        requested,
        column,
        requestedSequence,
        trigger,
        options.replicaIdentityFull === true,
      );
      await client.query('COMMIT');
      return result;
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined); // the original error is what matters
      throw err;
    }
  } finally {
    if (isPool(db)) (client as pg.PoolClient).release();
  }
}

async function migrate(
  client: pg.ClientBase,
  requested: ParsedRelation,
  column: string,
  requestedSequence: ParsedRelation | undefined,
  trigger: string,
  replicaIdentityFull: boolean,
): Promise<EnsureVersionColumnResult> {
  const found = await client.query<{ oid: number; schema: string; name: string; identity: string }>(
    `SELECT c.oid::int AS oid, n.nspname AS schema, c.relname AS name, c.relreplident AS identity
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE c.oid = to_regclass($1) AND c.relkind IN ('r', 'p')`,
    [qualifiedName(requested)],
  );
  const row = found.rows[0];
  if (!row)
    throw new InvalidOptionsError(`options.table ${qualifiedName(requested)} does not exist (or is not a table)`);
  const table: ParsedRelation = { schema: row.schema, name: row.name };
  const tableSql = qualifiedName(table);
  const existingTrigger = await findVersionTrigger(client, tableSql, column);
  // A re-run without options.sequence keeps the sequence the trigger already uses (perhaps a shared one).
  const sequence = requestedSequence ?? existingTrigger?.sequenceRelation ?? defaultSequenceFor(table, column);
  if (sequence.schema === undefined) sequence.schema = table.schema;
  const sequenceSql = qualifiedName(sequence);

  const createdSequence =
    (await client.query(`SELECT to_regclass($1) IS NULL AS absent`, [sequenceSql])).rows[0].absent === true;
  if (createdSequence) await client.query(`CREATE SEQUENCE ${sequenceSql} AS bigint MINVALUE 1 CACHE 1 NO CYCLE`);
  const seq = await client.query<{ cache_size: string; increment_by: string; cycle: boolean }>(
    `SELECT cache_size::text, increment_by::text, cycle FROM pg_sequences WHERE schemaname = $1 AND sequencename = $2`,
    [sequence.schema, sequence.name],
  );
  const seqRow = seq.rows[0];
  if (!seqRow) throw new InvalidOptionsError(`options.sequence ${sequenceSql} exists but is not a sequence`);
  if (seqRow.cache_size !== '1' || BigInt(seqRow.increment_by) <= 0n || seqRow.cycle) {
    throw new InvalidOptionsError(
      `options.sequence ${sequenceSql} has CACHE ${seqRow.cache_size}, INCREMENT ${seqRow.increment_by}${seqRow.cycle ? ', CYCLE' : ''}; ` +
        'versions need CACHE 1, a positive increment and NO CYCLE so they increase in the order they are taken',
    );
  }
  await assertSequenceNotOwned(client, sequenceSql);

  const existing = await client.query<{ type: string; notnull: boolean }>(
    `SELECT format_type(atttypid, atttypmod) AS type, attnotnull AS notnull
       FROM pg_attribute WHERE attrelid = $1 AND attname = $2 AND attnum > 0 AND NOT attisdropped`,
    [row.oid, column],
  );
  const columnSql = quoteIdent(column);
  const addedColumn = existing.rows.length === 0;
  if (addedColumn) {
    // A volatile default makes PostgreSQL give every existing row its own nextval.
    // Then drop it: the trigger assigns every version (a default would burn a second nextval per insert),
    // and NOT NULL is checked after BEFORE triggers run.
    await client.query(
      `ALTER TABLE ${tableSql} ADD COLUMN ${columnSql} bigint NOT NULL DEFAULT nextval(${literal(sequenceSql)}::regclass)`,
    );
    await client.query(`ALTER TABLE ${tableSql} ALTER COLUMN ${columnSql} DROP DEFAULT`);
  } else {
    const { type, notnull } = existing.rows[0]!;
    if (type !== 'bigint')
      throw new InvalidOptionsError(
        `options.column ${columnSql} of ${tableSql} exists with type ${type}; it must be bigint`,
      );
    if (!notnull) {
      await client.query(
        `UPDATE ${tableSql} SET ${columnSql} = nextval(${literal(sequenceSql)}::regclass) WHERE ${columnSql} IS NULL`,
      );
      await client.query(`ALTER TABLE ${tableSql} ALTER COLUMN ${columnSql} SET NOT NULL`);
    }
  }

  const functionSql = `${quoteIdent(table.schema!)}.${quoteIdent(TRIGGER_FUNCTION_NAME)}`;
  const hasFunction =
    (await client.query(`SELECT to_regprocedure($1) IS NOT NULL AS present`, [`${functionSql}()`])).rows[0].present ===
    true;
  if (!hasFunction) {
    await client.query(
      `CREATE FUNCTION ${functionSql}() RETURNS trigger LANGUAGE plpgsql AS ${literal(TRIGGER_FUNCTION_BODY)}`,
    );
  }
  const hasTrigger = existingTrigger !== undefined;
  const sequenceOid = (await client.query(`SELECT $1::regclass::oid::int AS oid`, [sequenceSql])).rows[0].oid as number;
  const movedFromSequence =
    existingTrigger && existingTrigger.sequenceOid !== sequenceOid ? existingTrigger.sequence : undefined;
  const moved =
    existingTrigger && movedFromSequence !== undefined
      ? await moveToSequence(client, {
          tableSql,
          columnSql,
          column,
          trigger: existingTrigger,
          to: sequenceSql,
          functionSql,
        })
      : undefined;
  if (!hasTrigger) {
    await client.query(
      `CREATE TRIGGER ${quoteIdent(trigger)} BEFORE INSERT OR UPDATE ON ${tableSql} FOR EACH ROW ` +
        `EXECUTE FUNCTION ${functionSql}(${literal(sequenceSql)}, ${literal(column)})`,
    );
  }
  const createdTruncateTrigger = await ensureTruncateTrigger(client, {
    oid: row.oid,
    schema: table.schema!,
    tableSql,
    sequenceSql,
    column,
  });
  const setReplicaIdentityFull = replicaIdentityFull && row.identity !== 'f';
  if (setReplicaIdentityFull) await client.query(`ALTER TABLE ${tableSql} REPLICA IDENTITY FULL`);
  return {
    setReplicaIdentityFull,
    table: tableSql,
    column,
    sequence: sequenceSql,
    trigger,
    createdSequence,
    addedColumn,
    createdTrigger: !hasTrigger,
    createdTruncateTrigger: createdTruncateTrigger && moved?.hadTruncateTrigger !== true,
    ...(movedFromSequence === undefined ? {} : { movedFromSequence }),
  };
}
