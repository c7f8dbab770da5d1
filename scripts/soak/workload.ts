import type pg from 'pg';
import type { OrderedCache } from '../../src/cache/ordered-cache.js';
import { sleep } from '../../src/core/deadline.js';
import { ensureVersionColumn, loadVersioned, updateAndCache, updateVersioned } from '../../src/postgres/index.js';

export const SOAK_TABLE = 'soak_items';
export const SOAK_MAPPING = `${SOAK_TABLE}=item:{id}`;
export const soakKey = (id: number) => `item:${id}`;

export interface SoakItem {
  id: number;
  qty: number;
  note: string;
}

/** Operations done by the bypass workload, by kind, and failures by error name. */
export interface WorkloadCounts {
  sqlUpdate: number;
  sqlDelete: number;
  sqlInsert: number;
  updateAndCache: number;
  transactionThenSet: number;
  get: number;
  errors: Record<string, number>;
  /** The last few operations per key (time, kind, version): the timeline behind a violation. */
  history: Map<number, string[]>;
}

const HISTORY = 8;

/** Creates the table (`keys` rows, version column, REPLICA IDENTITY FULL for the follower). */
export async function createSoakTable(pool: pg.Pool, keys: number): Promise<void> {
  await pool.query(`CREATE TABLE ${SOAK_TABLE} (id int PRIMARY KEY, qty int NOT NULL, note text NOT NULL)`);
  await pool.query(`INSERT INTO ${SOAK_TABLE} SELECT i, 0, 'start' FROM generate_series(1, $1) AS i`, [keys]);
  await ensureVersionColumn(pool, { table: SOAK_TABLE, replicaIdentityFull: true });
}

const loader = (pool: pg.Pool, id: number, note?: (id: number, what: string) => void) => async () => {
  const row = await loadVersioned<SoakItem>(
    pool,
    `SELECT id, qty, note, cache_version FROM ${SOAK_TABLE} WHERE id = $1`,
    [id],
  );
  note?.(id, `fill loaded ${row?.timestamp ?? 'no row'}`);
  return row;
};

/** Every row cached once (setMany: pipelined locks and writes), so every key is compared from the start. */
export async function prefill(pool: pg.Pool, cache: OrderedCache<SoakItem>): Promise<number> {
  const { rows } = await pool.query(`SELECT id, qty, note, cache_version::text AS v FROM ${SOAK_TABLE} ORDER BY id`);
  const entries = (rows as (SoakItem & { v: string })[]).map(({ v, ...value }) => ({
    key: soakKey(value.id),
    value,
    timestamp: v,
  }));
  for (let i = 0; i < entries.length; i += 500) await cache.setMany(entries.slice(i, i + 500));
  return entries.length;
}

/**
 * The writes that bypass the cache and the ones that go through it, against one table, until
 * `signal` aborts: plain-SQL UPDATEs, DELETEs and re-INSERTs (only the follower tells the cache),
 * `updateAndCache`, a transaction then `cache.set` after COMMIT, and readers filling through
 * `cache.get`. Keys are drawn with a skew (half of the operations on a tenth of the keys), so
 * writers and readers meet on the same keys.
 */
export async function runWorkload(context: {
  pool: pg.Pool;
  cache: OrderedCache<SoakItem>;
  keys: number;
  writeRate: number;
  readRate: number;
  signal: AbortSignal;
}): Promise<WorkloadCounts> {
  const { pool, cache, keys, signal } = context;
  const counts: WorkloadCounts = {
    sqlUpdate: 0,
    sqlDelete: 0,
    sqlInsert: 0,
    updateAndCache: 0,
    transactionThenSet: 0,
    get: 0,
    errors: {},
    history: new Map(),
  };
  const note = (id: number, what: string) => {
    const list = counts.history.get(id) ?? [];
    list.push(`${new Date().toISOString()} ${what}`);
    if (list.length > HISTORY) list.shift();
    counts.history.set(id, list);
  };
  const RETURNING = 'RETURNING cache_version::text AS v';
  const pick = () =>
    Math.random() < 0.5 ? 1 + Math.floor(Math.random() * Math.ceil(keys / 10)) : 1 + Math.floor(Math.random() * keys);
  const deleted: number[] = [];

  const write = async () => {
    const id = pick();
    const r = Math.random();
    if (r < 0.4) {
      const { rows } = await pool.query(
        `UPDATE ${SOAK_TABLE} SET qty = qty + 1, note = 'sql' WHERE id = $1 ${RETURNING}`,
        [id],
      );
      note(id, `sql update → ${rows[0]?.v ?? 'no row'}`);
      counts.sqlUpdate++;
    } else if (r < 0.45 && deleted.length < keys / 20) {
      const { rows } = await pool.query(`DELETE FROM ${SOAK_TABLE} WHERE id = $1 ${RETURNING}`, [id]);
      if (rows.length === 1) deleted.push(id);
      note(id, `sql delete of ${rows[0]?.v ?? 'no row'}`);
      counts.sqlDelete++;
    } else if (r < 0.5 && deleted.length > 0) {
      const back = deleted.splice(Math.floor(Math.random() * deleted.length), 1)[0] as number;
      const { rows } = await pool.query(
        `INSERT INTO ${SOAK_TABLE} (id, qty, note) VALUES ($1, 0, 'again') ON CONFLICT DO NOTHING ${RETURNING}`,
        [back],
      );
      note(back, `sql insert → ${rows[0]?.v ?? 'conflict'}`);
      counts.sqlInsert++;
    } else if (r < 0.75) {
      const result = await updateAndCache(
        cache,
        pool,
        soakKey(id),
        `UPDATE ${SOAK_TABLE} SET qty = qty + 1, note = 'library' WHERE id = $1 RETURNING id, qty, note, cache_version`,
        [id],
      );
      note(id, `updateAndCache → ${result ? `${result.timestamp} ${result.cache.status}` : 'no row'}`);
      counts.updateAndCache++;
    } else {
      const client = await pool.connect();
      let updated: Awaited<ReturnType<typeof updateVersioned<SoakItem>>>;
      try {
        await client.query('BEGIN');
        updated = await updateVersioned<SoakItem>(
          client,
          `UPDATE ${SOAK_TABLE} SET qty = qty - 1, note = 'tx' WHERE id = $1 RETURNING id, qty, note, cache_version`,
          [id],
        );
        await client.query('COMMIT');
      } catch (error) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw error;
      } finally {
        client.release();
      }
      const set = updated && (await cache.set(soakKey(id), updated.value, updated.timestamp));
      note(id, `transaction → ${updated ? `${updated.timestamp}, then set ${set?.status}` : 'no row'}`);
      counts.transactionThenSet++;
    }
  };
  const read = async () => {
    const id = pick();
    await cache.get(soakKey(id), loader(pool, id, note));
    counts.get++;
  };

  const loop = async (op: () => Promise<void>, perSecond: number) => {
    const gapMs = 1000 / perSecond;
    while (!signal.aborted) {
      const started = performance.now();
      await op().catch((error: unknown) => {
        const name = error instanceof Error ? error.name : 'non-Error';
        counts.errors[name] = (counts.errors[name] ?? 0) + 1;
      });
      await sleep(Math.max(0, gapMs - (performance.now() - started)), signal).catch(() => undefined);
    }
  };
  const WRITERS = 4;
  const READERS = 8;
  await Promise.all([
    ...Array.from({ length: WRITERS }, () => loop(write, context.writeRate / WRITERS)),
    ...Array.from({ length: READERS }, () => loop(read, context.readRate / READERS)),
  ]);
  return counts;
}
