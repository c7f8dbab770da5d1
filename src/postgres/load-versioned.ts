import { parseTimestamp } from '../core/timestamp.js';
import { InvalidTimestampError, MalformedLoaderResultError } from '../errors.js';
import { assertIdentifier, quoteIdent } from './identifiers.js';
import type { PgQueryable } from './queryable.js';

/** A row's value and the version read in the same statement. */
export interface Versioned<T> {
  value: T;
  /** Exact: read as text in SQL, parsed into a `bigint` (never a JS number or Date). */
  timestamp: bigint;
}

/** How the value is taken from the row; the helper's own version column is never part of it. */
export interface ValueOptions<T> {
  /** Take this column as the value. */
  valueColumn?: string;
  /** Build the value from the row (overrides valueColumn). @default the row without the version column */
  map?: (row: Record<string, unknown>) => T;
  /** Named in the error when the statement returns more than one row. */
  key?: string;
}

/** Options of {@link loadVersioned} and {@link updateVersioned}. */
export interface LoadVersionedOptions<T> extends ValueOptions<T> {
  /** The column (of the statement's result) holding the bigint version. @default 'cache_version' */
  versionColumn?: string;
}

/** Options of {@link loadVersionedByTimestamptz}. */
export interface LoadByTimestamptzOptions<T> extends ValueOptions<T> {
  /** The `timestamptz` (or `timestamp`) column of the statement's result used as the version. Required. */
  timestampColumn: string;
}

// The helper's column; unlikely to collide with a user's.
const VERSION_ALIAS = '__zkoc_version';

/**
 * Runs `sql` (a SELECT, or a data-modifying statement with RETURNING) and returns its single row's
 * value with the version from `versionColumn`, read as text by SQL wrapped around the statement
 * (`WITH q AS (<sql>) SELECT q.*, q.version::text …`): one statement, so value and version are
 * from the same snapshot, and exact whatever type parsers `pg` has been given.
 *
 * Returns `undefined` when there is no row. Throws InvalidTimestampError when the version is NULL,
 * negative or above 2^63−1; MalformedLoaderResultError when there is more than one row; PostgreSQL
 * errors as they are (e.g. a statement that starts with its own data-modifying WITH cannot be nested).
 */
export async function loadVersioned<T = Record<string, unknown>>(
  db: PgQueryable,
  sql: string,
  params: readonly unknown[] = [],
  options: LoadVersionedOptions<T> = {},
): Promise<Versioned<T> | undefined> {
  const versionColumn = options.versionColumn ?? 'cache_version';
  assertIdentifier(versionColumn, 'options.versionColumn');
  return runVersioned(db, sql, params, `(q.${quoteIdent(versionColumn)})::text`, versionColumn, options);
}

/**
 * {@link loadVersioned} for an `UPDATE … RETURNING` (or INSERT/DELETE … RETURNING) whose RETURNING
 * list includes the version column: returns the new value and the version the trigger gave it.
 * The one-row check runs after the statement; with autocommit the rows are already changed, so
 * make the WHERE clause select one row.
 */
export const updateVersioned = loadVersioned;

/**
 * Like {@link loadVersioned}, with a `timestamptz` column as the version: microseconds since the
 * epoch, computed exactly in SQL as
 * `extract(epoch from date_trunc('second', c))::bigint * 1000000 + extract(microseconds from c)::bigint % 1000000`
 * (integer arithmetic on every PostgreSQL version; `extract(epoch from c) * 1e6` is a double before
 * PostgreSQL 14, and `pg` would parse the column into a millisecond `Date`).
 *
 * Warning: a column set to `now()` is the transaction's START time, so two transactions updating
 * the same row can commit in the opposite order of their `updated_at`, and the cache would keep the
 * older row. Prefer {@link ensureVersionColumn}'s sequence trigger, whose value is taken under the
 * row lock. `clock_timestamp()` in a BEFORE UPDATE trigger is close but still not strictly increasing
 * (clock steps, equal microseconds).
 */
export async function loadVersionedByTimestamptz<T = Record<string, unknown>>(
  db: PgQueryable,
  sql: string,
  params: readonly unknown[],
  options: LoadByTimestamptzOptions<T>,
): Promise<Versioned<T> | undefined> {
  const column = options?.timestampColumn;
  assertIdentifier(column, 'options.timestampColumn');
  const c = `q.${quoteIdent(column)}`;
  const micros = `(extract(epoch from date_trunc('second', ${c}))::bigint * 1000000 + extract(microseconds from ${c})::bigint % 1000000)::text`;
  return runVersioned(db, sql, params, micros, column, options);
}

async function runVersioned<T>(
  db: PgQueryable,
  sql: string,
  params: readonly unknown[],
  versionSql: string,
  versionColumn: string,
  options: ValueOptions<T>,
): Promise<Versioned<T> | undefined> {
  const statement = sql.replace(/[\s;]+$/, '');
  const wrapped = `WITH q AS (${statement}\n) SELECT q.*, ${versionSql} AS ${quoteIdent(VERSION_ALIAS)} FROM q`;
  const result = await db.query(wrapped, params as unknown[]);
  if (result.rows.length === 0) return undefined;
  if (result.rows.length > 1) {
    const key = options.key ?? '(no key given)';
    throw new MalformedLoaderResultError(
      key,
      `the statement returned ${result.rows.length} rows; a versioned load must return at most one`,
    );
  }
  const { [VERSION_ALIAS]: versionText, ...row } = result.rows[0] as Record<string, unknown>;
  if (versionText === null || versionText === undefined)
    throw new InvalidTimestampError(`column ${versionColumn} is NULL; a version must be a non-negative integer`);
  const text = String(versionText);
  // Integers go through bigint so a negative one is reported as negative, not as "not digits".
  const timestamp = parseTimestamp(/^-?[0-9]+$/.test(text) ? BigInt(text) : text, `column ${versionColumn}`);
  let value: T;
  if (options.map) value = options.map(row);
  else if (options.valueColumn !== undefined) value = row[options.valueColumn] as T;
  else {
    const { [versionColumn]: _version, ...rest } = row;
    value = rest as T;
  }
  return { value, timestamp };
}
