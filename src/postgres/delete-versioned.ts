import {
  assertIdentifier,
  defaultSequenceFor,
  parseRelation,
  qualifiedName,
  type RelationName,
} from './identifiers.js';
import type { PgQueryable } from './queryable.js';
import { triggerNameFor } from './version-trigger.js';

/** Options of {@link deleteVersioned}. */
export interface DeleteVersionedOptions {
  /** The version column, to find the default sequence. @default 'cache_version' */
  column?: string;
  /**
   * The version sequence. @default the one the table's version trigger uses (read from
   * `pg_trigger` in the same statement, so a table moved onto a shared sequence is followed; it
   * costs the server about 50–100 µs of CPU per call, docs/performance.md), else `<table>_<column>_seq`
   */
  sequence?: RelationName;
}

/** What {@link deleteVersioned} did. */
export interface DeleteVersionedResult {
  /** How many rows the DELETE removed (the timestamp is valid either way). */
  deletedRows: number;
  /** The version to write the tombstone at. */
  timestamp: bigint;
}

/**
 * Deletes rows (`DELETE FROM table WHERE <where>`, `where` is trusted SQL using `$1…` of `params`)
 * and returns the version to invalidate the cache with: `nextval` of the version sequence taken in
 * the same statement AFTER the delete has finished (so after it holds the row locks). It is
 * therefore above the deleted row's version and any version committed before, so stale fills are
 * rejected, while a row inserted after this commits takes a later nextval and orders after the
 * tombstone.
 *
 * Edge: an INSERT of the same key racing the delete takes its version in its BEFORE trigger,
 * before it waits on the unique index, so it can commit with a version below the tombstone. That
 * is safe (the cache refuses the row until its next update or the tombstone's retention ends,
 * readers then load from the database) but not cached.
 *
 * One statement: atomic on its own, or part of the caller's transaction on a client.
 * Throws InvalidOptionsError for bad names; PostgreSQL errors as they are.
 */
export async function deleteVersioned(
  db: PgQueryable,
  table: RelationName,
  where: string,
  params: readonly unknown[] = [],
  options: DeleteVersionedOptions = {},
): Promise<DeleteVersionedResult> {
  const parsed = parseRelation(table, 'table');
  const column = options.column ?? 'cache_version';
  assertIdentifier(column, 'options.column');
  const explicit = options.sequence === undefined ? undefined : parseRelation(options.sequence, 'options.sequence');
  const n = params.length;
  // Without options.sequence, the sequence the table's version trigger names (it may be shared
  // with other tables), read in the same statement; the default name only for a table without it.
  const sequence =
    explicit === undefined
      ? `coalesce((SELECT convert_from(substring(tgargs FROM 1 FOR position('\\x00'::bytea IN tgargs) - 1), 'UTF8')
                    FROM pg_trigger WHERE tgrelid = $${n + 2}::regclass AND tgname = $${n + 3}), $${n + 1})`
      : `$${n + 1}`;
  // The aggregate consumes the whole DELETE before its one row reaches nextval.
  const sql =
    `WITH d AS (DELETE FROM ${qualifiedName(parsed)} WHERE ${where} RETURNING 1) ` +
    `SELECT c.n::text AS deleted, nextval(${sequence}::regclass)::text AS version FROM (SELECT count(*) AS n FROM d) AS c`;
  const args =
    explicit === undefined
      ? [...params, qualifiedName(defaultSequenceFor(parsed, column)), qualifiedName(parsed), triggerNameFor(column)]
      : [...params, qualifiedName(explicit)];
  const result = await db.query<{ deleted: string; version: string }>(sql, args);
  const row = result.rows[0]!;
  return { deletedRows: Number(row.deleted), timestamp: BigInt(row.version) };
}
