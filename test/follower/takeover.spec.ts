import { afterAll, expect, it } from 'vitest';
import type { OrderedCache } from '../../src/cache/ordered-cache.js';
import { openCache } from '../cache/fixture.js';
import { usePgFixture } from '../postgres/pg-fixture.js';
import { type Product, productsTable } from './fixture.js';
import { type FollowProcess, spawnFollow } from './follow-process.js';

const fx = usePgFixture();
const ROWS = 2_000;
const running: FollowProcess[] = [];
let cache: OrderedCache<Product> | undefined;

afterAll(async () => {
  for (const p of running)
    if (p.child.exitCode === null) {
      p.child.kill('SIGCONT');
      p.child.kill('SIGKILL');
    }
  await cache?.close();
});

/** Two `zkoc follow` processes on one slot: the first elected active, then a standby started behind it. */
async function activeAndStandby(
  namespace: string,
  slot: string,
  mapping: string,
): Promise<{ first: FollowProcess; standby: FollowProcess }> {
  const { zookeeper, redis, postgres } = fx.stack;
  const args = ['--zk', zookeeper.connectString, '--redis', redis.url, '--database-url', postgres.url, '-n', namespace];
  args.push('--slot', slot, '--table', mapping, '--session-timeout-ms', '2000');
  const first = spawnFollow(args);
  running.push(first);
  await first.waitFor((e) => e.event === 'active', 20_000, 'the first follower elected');
  const standby = spawnFollow(args);
  running.push(standby);
  await standby.waitFor((e) => e.event === 'started', 20_000, 'the standby started');
  return { first, standby };
}

it('SIGKILL of the active follower mid bulk update: a standby takes over and every key ends invalidated or at its latest version', async () => {
  cache = await openCache<Product>(fx.stack);
  const table = await productsTable(fx.pool, ROWS);
  const { rows } = await fx.pool.query(`SELECT id, name, price, cache_version::text AS v FROM ${table}`);
  // Every row cached at its version, as readers would have left it.
  const filled = await cache.setMany(
    rows.map((r) => ({ key: `p:${r.id}`, value: { id: r.id, name: r.name, price: r.price }, timestamp: r.v })),
    { timeoutMs: 30_000 },
  );
  expect(filled.filter((r) => r.status !== 'written').map((r) => [r.key, r.status])).toEqual([]);

  const { first, standby } = await activeAndStandby(cache.namespace, `zkoc_kill_${process.pid}`, `${table}=p:{id}`);

  // The bulk update: 20 transactions of 100 rows each, then deletes and re-inserts.
  let committed = 0;
  let killedAt = 0;
  for (let from = 1; from <= ROWS; from += 100) {
    committed += (
      await fx.pool.query(`UPDATE ${table} SET price = price * 0.9 WHERE id BETWEEN $1 AND $2`, [from, from + 99])
    ).rowCount!;
    if (from === 501) {
      await first.waitFor((e) => e.event === 'batch', 10_000, 'a first batch applied');
      first.child.kill('SIGKILL');
      killedAt = Date.now();
    }
  }
  committed += (await fx.pool.query(`DELETE FROM ${table} WHERE id % 97 = 0`)).rowCount!;
  committed += (
    await fx.pool.query(`INSERT INTO ${table} SELECT id, 'again', 1 FROM generate_series(97, 970, 97) AS id`)
  ).rowCount!;
  expect(await first.exited).toBe('SIGKILL');

  const elected = await standby.waitFor((e) => e.event === 'active', 10_000, 'the standby elected');
  expect(Date.parse(elected.at as string) - killedAt).toBeLessThan(2_000 + 2_000); // session timeout + 2 s

  // Every key ends tombstoned at or above its row's latest version (or deleted-row version + 1).
  const latest = async () => {
    const now = await fx.pool.query(`SELECT id, cache_version::text AS v FROM ${table}`);
    const want = new Map<number, bigint>(now.rows.map((r) => [r.id as number, BigInt(r.v)]));
    const ids = Array.from({ length: ROWS }, (_, i) => i + 1);
    const entries = await Promise.all(ids.map((id) => cache!.store.read(`p:${id}`)));
    const behind: string[] = [];
    for (const [i, entry] of entries.entries()) {
      const version = want.get(ids[i]!);
      const ok =
        entry !== undefined &&
        (version === undefined
          ? entry.kind === 'tombstone'
          : entry.timestamp >= version && (entry.kind !== 'value' || entry.timestamp === version));
      if (!ok) behind.push(`p:${ids[i]} ${entry?.kind}@${entry?.timestamp} vs row version ${version}`);
    }
    return behind;
  };
  await expect.poll(latest, { timeout: 20_000, interval: 500 }).toEqual([]);

  // a batch event is printed once its LSN is confirmed, after the writes the poll above saw
  const applied = () =>
    [...first.events, ...standby.events]
      .filter((e) => e.event === 'batch')
      .reduce((sum, e) => sum + (e.changes as number), 0);
  await expect.poll(applied, { timeout: 10_000, interval: 200 }).toBeGreaterThanOrEqual(committed);

  standby.child.kill('SIGTERM');
  expect(await standby.exited).toBe(0);
  expect(standby.events.at(-1)).toMatchObject({ event: 'stopped' });
}, 90_000);

it('SIGSTOP of the active follower past its session: the standby takes over within session timeout + 2 s', async () => {
  cache ??= await openCache<Product>(fx.stack);
  const table = await productsTable(fx.pool, 10);
  const { first, standby } = await activeAndStandby(cache.namespace, `zkoc_stop_${process.pid}`, `${table}=s:{id}`);

  first.child.kill('SIGSTOP'); // its walsender stays connected: PostgreSQL would wait wal_sender_timeout (60 s)
  const stoppedAt = Date.now();
  const elected = await standby.waitFor((e) => e.event === 'active', 10_000, 'the standby elected');
  expect(Date.parse(elected.at as string) - stoppedAt).toBeLessThan(2_000 + 2_000); // session timeout + 2 s
  await fx.pool.query(`UPDATE ${table} SET price = 5`);
  const tombstonedAtLatest = async () => {
    const { rows } = await fx.pool.query(`SELECT id, cache_version::text AS v FROM ${table} ORDER BY id`);
    const entries = await Promise.all(rows.map((r) => cache!.store.read(`s:${r.id}`)));
    return entries.every((e, i) => e?.kind === 'tombstone' && e.timestamp === BigInt(rows[i].v));
  };
  await expect.poll(tombstonedAtLatest, { timeout: 10_000 }).toBe(true);

  // The old leader wakes up: it learns it lost the election and stands by; the new one keeps going.
  first.child.kill('SIGCONT');
  await first.waitFor(
    (e) => e.event === 'inactive' && e.reason === 'lock-lost',
    15_000,
    'the old leader stepping down',
  );
  await fx.pool.query(`UPDATE ${table} SET price = 6`);
  await expect.poll(tombstonedAtLatest, { timeout: 10_000 }).toBe(true);
  expect(first.events.filter((e) => e.event === 'active')).toHaveLength(1);

  for (const p of [first, standby]) p.child.kill('SIGTERM');
  expect(await Promise.all([first.exited, standby.exited])).toEqual([0, 0]);
}, 90_000);
