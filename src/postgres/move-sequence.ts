import type pg from 'pg';
import { quoteIdent } from './identifiers.js';
import { literal, truncateTriggerNameFor } from './truncate-trigger.js';
import type { VersionTrigger } from './version-trigger.js';

/**
 * Moves a versioned table onto another sequence (`to`), inside ensureVersionColumn's transaction,
 * so tables whose rows feed one cache key draw their versions from one sequence.
 *
 * Every version the table or its old sequence ever gave out (rows, DELETE tombstones at a row's
 * version + 1, TRUNCATE versions) must stay below what `to` gives out next, or a cached entry of
 * the table would refuse the newer writes. So, with the table's writers blocked and `to`'s
 * `nextval` blocked until COMMIT, `to` is raised (never lowered) to the largest of: its own last
 * value, the old sequence's, and the table's highest version. Then both triggers are re-created
 * with `to`; ensureVersionColumn re-creates the TRUNCATE trigger after this returns (told whether
 * there was one, so its result says whether the run added it).
 */
export async function moveToSequence(
  client: pg.ClientBase,
  target: {
    tableSql: string;
    columnSql: string;
    column: string;
    trigger: VersionTrigger;
    to: string;
    functionSql: string;
  },
): Promise<{ hadTruncateTrigger: boolean }> {
  // No write of the table (nor a deleteVersioned) draws a version meanwhile. ACCESS EXCLUSIVE at
  // once, as DROP TRIGGER needs: upgrading a weaker lock later could deadlock with a reader.
  await client.query(`LOCK TABLE ${target.tableSql} IN ACCESS EXCLUSIVE MODE`);
  // A no-op ALTER SEQUENCE holds a lock that blocks every nextval of it until COMMIT, so the raise
  // below cannot move it back under a value another table draws meanwhile (setval alone would).
  await client.query(`ALTER SEQUENCE ${target.to} NO CYCLE`);
  const oldLast =
    target.trigger.sequenceOid === null
      ? null
      : `pg_sequence_last_value(${literal(String(target.trigger.sequenceOid))}::oid::regclass)`;
  await client.query(
    `SELECT setval(${literal(target.to)}::regclass, f.floor)
       FROM (SELECT greatest(${oldLast ?? 'NULL'}, (SELECT max(${target.columnSql}) FROM ${target.tableSql})) AS floor) AS f
      WHERE f.floor IS NOT NULL
        AND f.floor > coalesce(pg_sequence_last_value(${literal(target.to)}::regclass), 0)`,
  );
  await client.query(`DROP TRIGGER ${quoteIdent(target.trigger.name)} ON ${target.tableSql}`);
  await client.query(
    `CREATE TRIGGER ${quoteIdent(target.trigger.name)} BEFORE INSERT OR UPDATE ON ${target.tableSql} FOR EACH ROW ` +
      `EXECUTE FUNCTION ${target.functionSql}(${literal(target.to)}, ${literal(target.column)})`,
  );
  const dropped = await client.query(`SELECT 1 FROM pg_trigger WHERE tgrelid = $1::regclass AND tgname = $2`, [
    target.tableSql,
    truncateTriggerNameFor(target.column),
  ]);
  await client.query(
    `DROP TRIGGER IF EXISTS ${quoteIdent(truncateTriggerNameFor(target.column))} ON ${target.tableSql}`,
  );
  return { hadTruncateTrigger: dropped.rows.length > 0 };
}
