import { LogicalReplicationService, PgoutputPlugin } from 'pg-logical-replication';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OrderedCache } from '../../src/cache/ordered-cache.js';
import { type BatchStats, type Follower, startFollower } from '../../src/postgres/index.js';
import { openCache } from '../cache/fixture.js';
import { usePgFixture } from '../postgres/pg-fixture.js';
import { type Product, productLoader, productsTable, stored, whenActive } from './fixture.js';

const fx = usePgFixture();
let slots = 0;
const nextSlot = () => `zkoc_el_${process.pid}_${++slots}`;

describe('one active follower per slot, elected through ZooKeeper', () => {
  const caches: OrderedCache<Product>[] = [];
  const followers: Follower[] = [];
  const cacheIn = async (namespace?: string) => {
    const cache = await openCache<Product>(fx.stack, namespace ? { namespace } : {});
    caches.push(cache);
    return cache;
  };
  afterAll(async () => {
    await Promise.all(followers.map((f) => f.close()));
    await Promise.all(caches.map((c) => c.close()));
  });

  it('a standby takes over when the active follower closes, and applies what comes next', async () => {
    const table = await productsTable(fx.pool, 2);
    const slot = nextSlot();
    const first = await cacheIn();
    const second = await cacheIn(first.namespace);
    const start = (cache: OrderedCache<Product>) =>
      startFollower({ database: fx.stack.postgres.url, cache, tables: { [table]: (r) => `p:${r.id}` }, slot });
    const a = await start(first);
    followers.push(a);
    await whenActive(a);
    const b = await start(second);
    followers.push(b);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect([a.active, b.active]).toEqual([true, false]);

    await fx.pool.query(`UPDATE ${table} SET price = 1 WHERE id = 1`);
    await expect.poll(async () => (await stored(first, 'p:1')).kind, { timeout: 10_000 }).toBe('tombstone');
    await a.close();
    await whenActive(b);
    await fx.pool.query(`UPDATE ${table} SET price = 2 WHERE id = 2`);
    await expect.poll(async () => (await stored(second, 'p:2')).kind, { timeout: 10_000 }).toBe('tombstone');
    // counted when its batch is confirmed, after the write that the poll above saw
    await expect.poll(() => b.changesApplied, { timeout: 10_000 }).toBeGreaterThan(0);
    expect(b.changesApplied).toBe(1); // the first change was confirmed by `a`, not replayed
  });

  it('terminates a stale walsender of its namespace that still holds the slot instead of waiting for wal_sender_timeout', async () => {
    const table = await productsTable(fx.pool, 1);
    const slot = nextSlot();
    const cache = await cacheIn();
    const setUp = await startFollower({
      database: fx.stack.postgres.url,
      cache,
      tables: { [table]: (r) => `s:${r.id}` },
      slot,
    });
    await setUp.close(); // leaves the slot and publication behind, inactive
    // A paused old leader's connection: still streaming, under the followers' application_name.
    const stale = new LogicalReplicationService(
      { connectionString: fx.stack.postgres.url, application_name: `zkoc-follower:${cache.namespace}` },
      { acknowledge: { auto: false, timeoutSeconds: 0 } },
    );
    stale.on('error', () => {});
    void stale
      .subscribe(new PgoutputPlugin({ protoVersion: 1, publicationNames: [slot] }), slot)
      .catch(() => undefined);
    await expect.poll(async () => (await activePid(slot)) !== null, { timeout: 5_000 }).toBe(true);
    const stalePid = await activePid(slot);

    const started = performance.now();
    const follower = await startFollower({
      database: fx.stack.postgres.url,
      cache,
      tables: { [table]: (r) => `s:${r.id}` },
      slot,
    });
    followers.push(follower);
    await fx.pool.query(`UPDATE ${table} SET price = 3`);
    await expect.poll(async () => (await stored(cache, 's:1')).kind, { timeout: 10_000 }).toBe('tombstone');
    expect(performance.now() - started).toBeLessThan(10_000); // wal_sender_timeout is 60 s
    expect(await activePid(slot)).not.toBe(stalePid);
    await stale.destroy();
  });

  it('refuses a slot that streams to a consumer that is not one of its followers', async () => {
    const table = await productsTable(fx.pool, 1);
    const slot = nextSlot();
    const cache = await cacheIn();
    const setUp = await startFollower({
      database: fx.stack.postgres.url,
      cache,
      tables: { [table]: (r) => `f:${r.id}` },
      slot,
    });
    await setUp.close();
    const foreign = new LogicalReplicationService(
      { connectionString: fx.stack.postgres.url, application_name: 'someone-else' },
      { acknowledge: { auto: false, timeoutSeconds: 0 } },
    );
    foreign.on('error', () => {});
    void foreign
      .subscribe(new PgoutputPlugin({ protoVersion: 1, publicationNames: [slot] }), slot)
      .catch(() => undefined);
    try {
      await expect.poll(async () => (await activePid(slot)) !== null, { timeout: 5_000 }).toBe(true);
      await expect(
        startFollower({ database: fx.stack.postgres.url, cache, tables: { [table]: (r) => `f:${r.id}` }, slot }),
      ).rejects.toMatchObject({ code: 'E_SLOT_IN_USE', message: expect.stringContaining('someone-else') });
    } finally {
      await foreign.destroy();
    }
  });
});

describe('replaying the stream', () => {
  let cache: OrderedCache<Product>;
  beforeAll(async () => {
    cache = await openCache<Product>(fx.stack);
  });
  afterAll(async () => {
    await cache?.close();
  });

  it('is all duplicate or stale: nothing is written again and nothing rolls back', async () => {
    const table = await productsTable(fx.pool, 20);
    const tables = { [table]: (r: Record<string, unknown>) => `r:${r.id}` };
    const first = await startFollower({
      database: fx.stack.postgres.url,
      cache,
      tables,
      slot: nextSlot(),
      publication: `pub_${table}`,
    });
    // A second slot on the same publication, created before the changes: it will replay all of them.
    const replaySlot = nextSlot();
    await fx.pool.query(`SELECT pg_create_logical_replication_slot($1, 'pgoutput')`, [replaySlot]);
    await whenActive(first);
    await fx.pool.query(`UPDATE ${table} SET price = price + 1`);
    await fx.pool.query(`DELETE FROM ${table} WHERE id <= 5`);
    await fx.pool.query(`INSERT INTO ${table} VALUES (1, 'back', 9)`);
    await fx.pool.query(`UPDATE ${table} SET price = 7 WHERE id = 20`);
    await expect.poll(() => first.changesApplied, { timeout: 10_000 }).toBe(20 + 5 + 1 + 1);
    await first.close();
    // Readers fill the cache from the database; the library writes one key at a newer version.
    for (let id = 1; id <= 20; id++) await cache.get(`r:${id}`, productLoader(fx.pool, table, id));
    const newer = (await stored(cache, 'r:10')).timestamp! + 1_000n;
    await cache.set('r:10', { id: 10, name: 'library', price: '1' }, newer);
    const before = await snapshot(cache);

    const replay = await startFollower({
      database: fx.stack.postgres.url,
      cache,
      tables,
      slot: replaySlot,
      publication: `pub_${table}`,
    });
    const batches: BatchStats[] = [];
    replay.events.on('batch', (b) => batches.push(b));
    await expect.poll(() => replay.changesApplied, { timeout: 10_000 }).toBe(27);
    await replay.close();
    const total = batches.reduce(
      (sum, b) => ({
        written: sum.written + b.written,
        other: sum.other + b.duplicate + b.stale,
        writes: sum.writes + b.writes,
      }),
      { written: 0, other: 0, writes: 0 },
    );
    expect(total.written).toBe(0);
    expect(total.other).toBe(total.writes);
    expect(await snapshot(cache)).toEqual(before);
  });
});

async function activePid(slot: string): Promise<number | null> {
  const { rows } = await fx.pool.query('SELECT active_pid FROM pg_replication_slots WHERE slot_name = $1', [slot]);
  return rows[0]?.active_pid ?? null;
}

async function snapshot(cache: OrderedCache<Product>): Promise<unknown[]> {
  const out = [];
  for (let id = 1; id <= 20; id++)
    out.push(
      await cache.store.read(`r:${id}`).then((e) => e && [e.kind, e.timestamp, e.kind === 'value' ? e.value : null]),
    );
  return out;
}
