import { createHash } from 'node:crypto';
import { MAX_IDENTIFIER_BYTES } from './identifiers.js';
import type { PgQueryable } from './queryable.js';

/** The trigger function `ensureVersionColumn` installs in a table's schema. */
export const VERSION_FUNCTION_NAME = 'zkoc_assign_version';

/** A table's zkoc version trigger for one column, as the catalog has it. */
export interface VersionTrigger {
  name: string;
  /** The sequence argument as written in the trigger (`"schema"."name"`). */
  sequence: string;
  /** The sequence's OID, or `null` when no such relation exists any more. */
  sequenceOid: number | null;
  /** The sequence, schema-split, when it exists. */
  sequenceRelation: { schema: string; name: string } | undefined;
  /** False when the trigger is disabled (`ALTER TABLE … DISABLE TRIGGER`): writes then keep their version. */
  enabled: boolean;
}

/**
 * The zkoc version trigger of `table` (a regclass text, e.g. `"public"."products"`) whose column
 * argument is `column`, or `undefined`. The sequence is read from the trigger's arguments
 * (`pg_trigger.tgargs`: NUL-terminated strings), the one place that says where versions come from.
 */
export async function findVersionTrigger(
  db: PgQueryable,
  table: string,
  column: string,
): Promise<VersionTrigger | undefined> {
  const { rows } = await db.query<{ name: string; args: Buffer; enabled: string }>(
    `SELECT t.tgname AS name, t.tgargs AS args, t.tgenabled AS enabled
       FROM pg_trigger t JOIN pg_proc p ON p.oid = t.tgfoid
      WHERE t.tgrelid = to_regclass($1) AND p.proname = $2 AND t.tgnargs = 2 AND NOT t.tgisinternal
      ORDER BY t.tgname`,
    [table, VERSION_FUNCTION_NAME],
  );
  for (const row of rows) {
    const [sequence, triggerColumn] = row.args.toString('utf8').split('\0');
    if (triggerColumn !== column || sequence === undefined) continue;
    const found = await db.query<{ oid: number | null; schema: string | null; name: string | null }>(
      `SELECT c.oid::int AS oid, n.nspname AS schema, c.relname AS name
         FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE c.oid = to_regclass($1) AND c.relkind = 'S'`,
      [sequence],
    );
    const seq = found.rows[0];
    return {
      name: row.name,
      sequence,
      sequenceOid: seq?.oid ?? null,
      sequenceRelation: seq ? { schema: seq.schema!, name: seq.name! } : undefined,
      enabled: row.enabled !== 'D',
    };
  }
  return undefined;
}

/** `zkoc_version_<column>`, or a hash of the column when that would pass 63 bytes. */
export function triggerNameFor(column: string): string {
  const name = `zkoc_version_${column}`;
  if (Buffer.byteLength(name, 'utf8') <= MAX_IDENTIFIER_BYTES) return name;
  return `zkoc_version_${createHash('sha256').update(column).digest('hex').slice(0, 32)}`;
}
