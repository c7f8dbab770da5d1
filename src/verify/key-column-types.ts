import { InvalidOptionsError } from '../errors.js';
import { type ParsedRelation, qualifiedName } from '../postgres/identifiers.js';
import type { PgQueryable } from '../postgres/queryable.js';

/**
 * The SQL type of each key column, from the catalog, to cast a key's text to: comparing the column
 * as text (`id::text = $1`) cannot use its index, so every key would be a scan of the table. A
 * domain gives its base type (its checks would make a foreign key an error of another class), and
 * no type modifier is kept (an explicit cast to `varchar(n)` truncates, which could match a row).
 * `format_type` quotes and qualifies the names it returns, so they go into SQL as they are.
 */
export async function keyColumnTypes(
  db: PgQueryable,
  table: ParsedRelation,
  columns: readonly string[],
): Promise<Map<string, string>> {
  const { rows } = await db.query(
    `SELECT a.attname AS name, format_type(CASE WHEN t.typtype = 'd' THEN t.typbasetype ELSE a.atttypid END, NULL) AS type
       FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid
      WHERE a.attrelid = to_regclass($1) AND a.attnum > 0 AND NOT a.attisdropped AND a.attname = ANY($2::text[])`,
    [qualifiedName(table), columns],
  );
  const types = new Map((rows as { name: string; type: string }[]).map((r) => [r.name, r.type]));
  const missing = columns.filter((c) => !types.has(c));
  if (missing.length > 0) {
    throw new InvalidOptionsError(
      `--table: ${qualifiedName(table)} has no column ${missing.map((c) => JSON.stringify(c)).join(', ')} (or no such table)`,
    );
  }
  return types;
}

// invalid_text_representation, numeric_value_out_of_range, invalid_datetime_format, datetime_field_overflow
const PARSE_ERRORS = new Set(['22P02', '22003', '22007', '22008']);

/**
 * True for PostgreSQL's errors of a text that does not parse as a type (`invalid input syntax for
 * type integer`, a number out of range, a malformed date or uuid). From a statement that casts the
 * key's fields to the key columns' types, it means the key is not of those types: no row can match.
 */
export function isKeyTypeError(error: unknown): error is Error {
  const code = (error as { code?: unknown } | null)?.code;
  return error instanceof Error && typeof code === 'string' && PARSE_ERRORS.has(code);
}
