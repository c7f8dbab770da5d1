import pg from 'pg';
import type { OrderedCache } from '../src/cache/ordered-cache.js';
import { percentiles } from './measure.js';
import type { BenchRow } from './types.js';

const RATE_PER_SECOND = 200;

/**
 * Lag of single-row UPDATEs that bypass the library, paced at 200 commits/s: from the UPDATE's
 * commit acknowledged to the writer until the follower's tombstone at that row's version is
 * written (the cache's `written` event). Rows cycle over `keys` distinct ids. The writer commits
 * with `synchronous_commit=on`, PostgreSQL's default: the harness runs `off` for speed, and then
 * the walsender sees a commit only once the WAL writer flushes it (`wal_writer_delay`, 200 ms),
 * which measured 213 ms p50 on the bare stream before any follower work.
 */
export async function measureFollowerLag(
  database: string,
  cache: OrderedCache<unknown>,
  table: string,
  keyOf: (id: number) => string,
  keys: number,
  seconds: number,
): Promise<BenchRow[]> {
  const pool = new pg.Pool({ connectionString: database, max: 8, options: '-c synchronous_commit=on' });
  const committedAt = new Map<string, number>();
  const lags: number[] = [];
  const onWritten = ({ key, timestamp }: { key: string; timestamp: bigint }): void => {
    const id = `${key}@${timestamp}`;
    const at = committedAt.get(id);
    if (at === undefined) {
      committedAt.set(id, -performance.now()); // applied before the writer saw its commit: lag ~0
      return;
    }
    committedAt.delete(id);
    lags.push(performance.now() - at);
  };
  cache.events.on('written', onWritten);
  const total = Math.round(RATE_PER_SECOND * seconds);
  const started = performance.now();
  const commits: Promise<void>[] = [];
  let writerMs = 0;
  try {
    for (let i = 0; i < total; i++) {
      const due = started + (i * 1_000) / RATE_PER_SECOND;
      const wait = due - performance.now();
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      const rowId = (i % keys) + 1;
      commits.push(
        pool
          .query<{ v: string }>(
            `UPDATE ${table} SET price = price + 1 WHERE id = $1 RETURNING cache_version::text AS v`,
            [rowId],
          )
          .then(({ rows }) => {
            const id = `${keyOf(rowId)}@${rows[0]!.v}`;
            const seen = committedAt.get(id);
            if (seen !== undefined && seen < 0) {
              committedAt.delete(id);
              lags.push(0);
            } else committedAt.set(id, performance.now());
          }),
      );
    }
    await Promise.all(commits);
    writerMs = performance.now() - started;
    const until = performance.now() + 10_000;
    while (lags.length < total && performance.now() < until) await new Promise((resolve) => setTimeout(resolve, 10));
  } finally {
    cache.events.off('written', onWritten);
    await pool.end();
  }
  const achieved = (total / writerMs) * 1_000;
  const { p50, p99, max } = percentiles(lags);
  const note = `${total} single-row UPDATE commits paced at ${RATE_PER_SECOND}/s over ${seconds} s, ${lags.length} applied; commit acknowledged to the writer → tombstone written; max ${Math.round(max)} ms`;
  return [
    { name: 'lag p50, single-row updates at 200 commits/s', value: p50, unit: 'ms', note },
    {
      name: 'lag p99, single-row updates at 200 commits/s',
      value: p99,
      unit: 'ms',
      target: '≤ 100 ms',
      met: p99 <= 100 && lags.length === total,
      note: `all ${total} applied: ${lags.length === total ? 'yes' : 'NO'}; writer kept ${achieved.toFixed(0)} commits/s`,
    },
  ];
}
