import { createHash } from 'node:crypto';
import type pg from 'pg';
import { InvalidOptionsError } from '../errors.js';
import { MAX_IDENTIFIER_BYTES, quoteIdent } from './identifiers.js';

/** The prefix of the logical-decoding message a TRUNCATE of a versioned table emits. */
export const TRUNCATE_MESSAGE_PREFIX = 'zkoc.truncate';

/** The message's JSON: which table and version column, and the version the TRUNCATE drew. */
export interface TruncateMessage {
  schema: string;
  table: string;
  column: string;
  /** Decimal text: a bigint does not survive JSON numbers. */
  version: string;
}

const FUNCTION_NAME = 'zkoc_emit_truncate';
// TRUNCATE holds ACCESS EXCLUSIVE before BEFORE TRUNCATE triggers run: every earlier write of the
// table drew a lower version and every later one draws a higher one. Emitted transactionally, the
// message reaches the follower in commit order and only if the TRUNCATE commits.
const FUNCTION_BODY = `
BEGIN
  -- TG_ARGV[0]: the version sequence (quoted, qualified); TG_ARGV[1]: the version column, verbatim.
  PERFORM pg_logical_emit_message(true, '${TRUNCATE_MESSAGE_PREFIX}', json_build_object(
    'schema', TG_TABLE_SCHEMA, 'table', TG_TABLE_NAME, 'column', TG_ARGV[1],
    'version', nextval(TG_ARGV[0]::regclass)::text)::text);
  RETURN NULL;
END
`;

/**
 * Creates (if absent) the schema's message function and the table's `BEFORE TRUNCATE … FOR EACH
 * STATEMENT` trigger. Returns true when it created the trigger. Runs inside ensureVersionColumn's
 * transaction.
 */
export async function ensureTruncateTrigger(
  client: pg.ClientBase,
  target: { oid: number; schema: string; tableSql: string; sequenceSql: string; column: string },
): Promise<boolean> {
  const functionSql = `${quoteIdent(target.schema)}.${quoteIdent(FUNCTION_NAME)}`;
  const hasFunction =
    (await client.query(`SELECT to_regprocedure($1) IS NOT NULL AS present`, [`${functionSql}()`])).rows[0].present ===
    true;
  if (!hasFunction)
    await client.query(
      `CREATE FUNCTION ${functionSql}() RETURNS trigger LANGUAGE plpgsql AS ${literal(FUNCTION_BODY)}`,
    );
  const trigger = truncateTriggerNameFor(target.column);
  const present =
    (await client.query(`SELECT 1 FROM pg_trigger WHERE tgrelid = $1 AND tgname = $2`, [target.oid, trigger])).rows
      .length > 0;
  if (present) return false;
  await client.query(
    `CREATE TRIGGER ${quoteIdent(trigger)} BEFORE TRUNCATE ON ${target.tableSql} FOR EACH STATEMENT ` +
      `EXECUTE FUNCTION ${functionSql}(${literal(target.sequenceSql)}, ${literal(target.column)})`,
  );
  return true;
}

/**
 * Refuses a version sequence OWNED BY a column: `TRUNCATE … RESTART IDENTITY` of the owning table
 * would restart it, and every later version would look older than what the cache holds.
 */
export async function assertSequenceNotOwned(client: pg.ClientBase, sequenceSql: string): Promise<void> {
  const { rows } = await client.query<{ owner: string; column: string }>(
    `SELECT d.refobjid::regclass::text AS owner, a.attname AS column
       FROM pg_depend d JOIN pg_attribute a ON a.attrelid = d.refobjid AND a.attnum = d.refobjsubid
      WHERE d.classid = 'pg_class'::regclass AND d.objid = $1::regclass
        AND d.refclassid = 'pg_class'::regclass AND d.deptype IN ('a', 'i')`,
    [sequenceSql],
  );
  const owned = rows[0];
  if (owned)
    throw new InvalidOptionsError(
      `options.sequence ${sequenceSql} is owned by column ${quoteIdent(owned.column)} of ${owned.owner}: ` +
        'TRUNCATE … RESTART IDENTITY would restart it and every later version would look old; ' +
        'give the version column a sequence of its own (the default) or ALTER SEQUENCE … OWNED BY NONE',
    );
}

/** `zkoc_truncate_<column>`, or a hash of the column when that would pass 63 bytes. */
export function truncateTriggerNameFor(column: string): string {
  const name = `zkoc_truncate_${column}`;
  if (Buffer.byteLength(name, 'utf8') <= MAX_IDENTIFIER_BYTES) return name;
  return `zkoc_truncate_${createHash('sha256').update(column).digest('hex').slice(0, 32)}`;
}

/** A SQL string literal (standard_conforming_strings, on by default since 9.1). */
export function literal(text: string): string {
  return `'${text.replace(/'/g, "''")}'`;
}
