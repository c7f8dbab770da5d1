import type pg from 'pg';
import { FollowerTableError, InvalidOptionsError, ReplicationPrivilegeError, WalLevelError } from '../../errors.js';
import { qualifiedName, quoteIdent } from '../identifiers.js';
import { findVersionTrigger } from '../version-trigger.js';
import type { ResolvedTable } from './follower-options.js';
import { parseLsn } from './lsn.js';
import { assertSharedSequences, type TableSequence } from './shared-sequences.js';

type Db = pg.Pool | pg.ClientBase;

/**
 * Everything that would make following impossible, as typed errors before anything is created:
 * `wal_level`, the role's REPLICATION attribute, each table's existence, version column, version
 * trigger and REPLICA IDENTITY FULL (a DELETE carries the deleted row's version only then), and one
 * version sequence for tables whose key templates can render a common key.
 * @throws WalLevelError, ReplicationPrivilegeError, FollowerTableError.
 */
export async function checkDatabase(db: Db, tables: readonly ResolvedTable[]): Promise<void> {
  const walLevel = (await db.query<{ wal_level: string }>('SHOW wal_level')).rows[0]!.wal_level;
  if (walLevel !== 'logical') throw new WalLevelError(walLevel);
  const role = (
    await db.query<{ name: string; allowed: boolean }>(
      'SELECT rolname AS name, rolreplication OR rolsuper AS allowed FROM pg_roles WHERE rolname = current_user',
    )
  ).rows[0]!;
  if (!role.allowed) throw new ReplicationPrivilegeError(role.name);
  const sequences = new Map<ResolvedTable, TableSequence>();
  for (const table of tables) sequences.set(table, await checkTable(db, table));
  assertSharedSequences(tables, (table) => sequences.get(table)!);
}

async function checkTable(db: Db, table: ResolvedTable): Promise<TableSequence> {
  const name = qualifiedName(table.relation);
  const fix = `run ensureVersionColumn(db, { table: ${JSON.stringify(table.id)}, column: ${JSON.stringify(table.column)}, replicaIdentityFull: true })`;
  const { rows } = await db.query<{ identity: string; type: string | null; pk: string[] | null }>(
    `SELECT c.relreplident AS identity, format_type(a.atttypid, a.atttypmod) AS type,
            (SELECT array_agg(k.attname::text ORDER BY k.attnum) FROM pg_index i
               JOIN pg_attribute k ON k.attrelid = i.indrelid AND k.attnum = ANY (i.indkey)
              WHERE i.indrelid = c.oid AND i.indisprimary) AS pk
       FROM pg_class c LEFT JOIN pg_attribute a ON a.attrelid = c.oid AND a.attname = $2 AND a.attnum > 0 AND NOT a.attisdropped
      WHERE c.oid = to_regclass($1) AND c.relkind IN ('r', 'p')`,
    [name, table.column],
  );
  const row = rows[0];
  if (!row) throw new FollowerTableError(table.id, `options.tables: table ${name} does not exist`);
  if (row.type !== 'bigint')
    throw new FollowerTableError(
      table.id,
      `table ${name} has no bigint version column ${quoteIdent(table.column)}${row.type ? ` (it is ${row.type})` : ''}; ${fix}`,
    );
  if (row.identity !== 'f')
    throw new FollowerTableError(
      table.id,
      `table ${name} is not REPLICA IDENTITY FULL, so a DELETE would not carry the deleted row's version; ${fix}`,
    );
  table.primaryKey = row.pk ?? [];
  // Versions must come from zkoc's trigger (a sequence drawn under the row lock), and its
  // sequence is what tables writing one key must share.
  const trigger = await findVersionTrigger(db, name, table.column);
  if (!trigger?.enabled || trigger.sequenceOid === null || !trigger.sequenceRelation)
    throw new FollowerTableError(
      table.id,
      `table ${name} has ${
        !trigger
          ? `no zkoc version trigger for ${quoteIdent(table.column)}`
          : !trigger.enabled
            ? `its version trigger ${quoteIdent(trigger.name)} disabled`
            : `a version trigger whose sequence ${trigger.sequence} does not exist`
      }, so its versions do not follow commit order; ${
        trigger?.enabled === false ? `run ALTER TABLE ${name} ENABLE TRIGGER ${quoteIdent(trigger.name)}` : fix
      }`,
    );
  return { sql: trigger.sequence, relation: trigger.sequenceRelation, oid: trigger.sequenceOid };
}

/** Creates the publication on the mapped tables if missing and adds the tables it lacks. */
export async function ensurePublication(db: Db, publication: string, tables: readonly ResolvedTable[]): Promise<void> {
  const exists = (await db.query('SELECT 1 FROM pg_publication WHERE pubname = $1', [publication])).rows.length > 0;
  const list = tables.map((t) => qualifiedName(t.relation)).join(', ');
  if (!exists) {
    try {
      await db.query(`CREATE PUBLICATION ${quoteIdent(publication)} FOR TABLE ${list}`);
      return;
    } catch (error) {
      if ((error as { code?: string }).code !== '42710') throw error; // another follower created it just now
    }
  }
  const published = new Set(
    (
      await db.query<{ id: string }>(
        `SELECT schemaname || '.' || tablename AS id FROM pg_publication_tables WHERE pubname = $1`,
        [publication],
      )
    ).rows.map((r) => r.id),
  );
  for (const table of tables) {
    if (published.has(table.id)) continue;
    await db
      .query(`ALTER PUBLICATION ${quoteIdent(publication)} ADD TABLE ${qualifiedName(table.relation)}`)
      .catch((error: { code?: string }) => {
        if (error.code !== '42710') throw error; // added concurrently
      });
  }
}

/**
 * Creates the durable pgoutput slot if missing and returns its confirmed LSN (where streaming resumes).
 * @throws InvalidOptionsError when a slot of that name exists with another plugin or is physical.
 */
export async function ensureSlot(db: Db, slot: string): Promise<bigint> {
  const read = async () =>
    (
      await db.query<{ lsn: string | null; plugin: string | null; type: string }>(
        `SELECT confirmed_flush_lsn::text AS lsn, plugin, slot_type AS type FROM pg_replication_slots WHERE slot_name = $1`,
        [slot],
      )
    ).rows[0];
  let found = await read();
  if (!found) {
    try {
      await db.query(`SELECT pg_create_logical_replication_slot($1, 'pgoutput')`, [slot]);
    } catch (error) {
      if ((error as { code?: string }).code !== '42710') throw error; // another follower created it just now
    }
    found = await read();
  }
  if (found?.type !== 'logical' || found.plugin !== 'pgoutput' || found.lsn === null)
    throw new InvalidOptionsError(
      `options.slot ${JSON.stringify(slot)} exists as a ${found?.type ?? 'missing'} slot with plugin ${found?.plugin ?? 'none'}; the follower needs a logical pgoutput slot`,
    );
  return parseLsn(found.lsn);
}

/** The backend streaming from `slot`, if any, and its application_name. */
export async function slotHolder(db: Db, slot: string): Promise<{ pid: number; applicationName: string } | undefined> {
  const { rows } = await db.query<{ pid: number; app: string | null }>(
    `SELECT s.active_pid AS pid, a.application_name AS app
       FROM pg_replication_slots s LEFT JOIN pg_stat_activity a ON a.pid = s.active_pid
      WHERE s.slot_name = $1 AND s.active`,
    [slot],
  );
  const row = rows[0];
  return row ? { pid: row.pid, applicationName: row.app ?? '' } : undefined;
}

/**
 * Terminates the walsender `pid` (a stale follower's, still holding the slot) and waits until the
 * slot is free, rather than for `wal_sender_timeout` (60 s by default) to notice the dead peer.
 */
export async function terminateHolder(db: Db, slot: string, pid: number, timeoutMs = 10_000): Promise<void> {
  await db.query('SELECT pg_terminate_backend($1)', [pid]);
  const deadline = Date.now() + timeoutMs;
  while ((await slotHolder(db, slot))?.pid === pid) {
    if (Date.now() > deadline) return; // the caller's START_REPLICATION then fails and is retried
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
