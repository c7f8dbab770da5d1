import { Redis } from 'ioredis';
import pg from 'pg';
import { ensureVersionColumn } from '../src/postgres/index.js';
import { OrderedStore } from '../src/redis/ordered-store.js';
import { rowVersionFromTable, verifyConsistency } from '../src/verify/index.js';
import { comparedRow, compareInRounds } from './measure.js';
import type { BenchSectionRunner } from './types.js';

const KEYS = 5_000;
const PER_CALL = 250;
const ROUNDS = 6;

/**
 * `zkoc verify` throughput with a table mapping: keys compared in batches (their entries in one
 * pipelined burst of HMGETs, then one SELECT per batch) against the same source row by row (one
 * SELECT per key, 16 in flight: the path `--query` takes). Same cache entries, same rows, one
 * pg pool of 4. One call = one verifyConsistency over 250 keys; the rows say keys/s.
 */
export const runVerifyBench: BenchSectionRunner = async (ctx) => {
  const pool = new pg.Pool({ connectionString: ctx.postgres, max: 4 });
  const redis = new Redis(ctx.redis);
  try {
    await pool.query('DROP TABLE IF EXISTS bench_verify');
    await pool.query('CREATE TABLE bench_verify (id int PRIMARY KEY, qty int NOT NULL)');
    await pool.query('INSERT INTO bench_verify SELECT i, 0 FROM generate_series(1, $1) AS i', [KEYS]);
    await ensureVersionColumn(pool, { table: 'bench_verify' });
    const store = new OrderedStore(redis, { namespace: 'bench-verify' });
    const { rows: versions } = await pool.query('SELECT id, cache_version::text AS v FROM bench_verify');
    await Promise.all(
      (versions as { id: number; v: string }[]).map((r) => store.write(`item:${r.id}`, { id: r.id }, r.v)),
    );
    const batched = await rowVersionFromTable(pool, 'bench_verify=item:{id}');
    const rowByRow = { description: batched.description, read: batched.read };
    const keysOf = (i: number) => Array.from({ length: PER_CALL }, (_, k) => `item:${1 + ((i * PER_CALL + k) % KEYS)}`);
    const check = async (rows: typeof rowByRow, i: number) => {
      const report = await verifyConsistency({ cache: store, rows, keys: keysOf(i) });
      if (report.consistent !== PER_CALL) throw new Error(`bench: verify found ${report.consistent} consistent`);
    };
    const calls = Math.max(4, Math.round(20 * ctx.scale));
    const compared = await compareInRounds(
      calls,
      1,
      ROUNDS,
      (i) => check(rowByRow, i),
      (i) => check(batched, i),
    );
    const keysPerSecond = {
      ...compared,
      floorOpsPerSec: compared.floorOpsPerSec * PER_CALL,
      oursOpsPerSec: compared.oursOpsPerSec * PER_CALL,
    };
    const row = comparedRow(
      'zkoc verify keys/s, --table in batches of 250 vs one SELECT per key',
      keysPerSecond,
      'keys/s',
      3,
      `${KEYS} cached keys, all consistent; ${calls} calls of ${PER_CALL} keys per round, median of ${ROUNDS} alternating rounds`,
    );
    return { title: 'zkoc verify throughput', rows: [row] };
  } finally {
    redis.disconnect();
    await pool.end();
  }
};
