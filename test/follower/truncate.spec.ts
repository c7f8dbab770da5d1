import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OrderedCache } from '../../src/cache/ordered-cache.js';
import { ensureVersionColumn, type FollowerEvents, startFollower } from '../../src/postgres/index.js';
import { openCache } from '../cache/fixture.js';
import { usePgFixture } from '../postgres/pg-fixture.js';
import { type Product, productLoader, productsTable, stored, whenActive } from './fixture.js';
import { spawnFollow } from './follow-process.js';

const fx = usePgFixture();
let slots = 0;
const nextSlot = () => `zkoc_trunc_${process.pid}_${++slots}`;

describe('startFollower: a TRUNCATE of a template-mapped table tombstones its keys at the version the TRUNCATE drew', () => {
  let cache: OrderedCache<Product>;
  let neighbour: OrderedCache<Product>;
  beforeAll(async () => {
    cache = await openCache<Product>(fx.stack);
    neighbour = await openCache<Product>(fx.stack); // another namespace, same Redis
  });
  afterAll(async () => {
    await neighbour?.close();
    await cache?.close();
  });

  it("tombstones every key of that table's mapping and only those; stale fillers are refused, re-inserts fill", async () => {
    const table = await productsTable(fx.pool, 3);
    const other = await productsTable(fx.pool, 1);
    const follower = await startFollower({
      database: fx.stack.postgres.url,
      cache,
      tables: { [table]: 'tr:{id}', [other]: { key: ['oth:{id}'] } },
      slot: nextSlot(),
    });
    const truncated: FollowerEvents['truncated'][] = [];
    const untouched: FollowerEvents['truncate'][] = [];
    follower.events.on('truncated', (t) => truncated.push(t));
    follower.events.on('truncate', (t) => untouched.push(t));
    try {
      await whenActive(follower);
      for (const id of [1, 2, 3]) await cache.get(`tr:${id}`, productLoader(fx.pool, table, id));
      await cache.get('oth:1', productLoader(fx.pool, other, 1));
      await neighbour.get('tr:1', productLoader(fx.pool, table, 1));
      const before = await Promise.all([1, 2, 3].map((id) => stored(cache, `tr:${id}`)));
      const otherBefore = await stored(cache, 'oth:1');
      const neighbourBefore = await stored(neighbour, 'tr:1');
      expect(before.map((s) => s.kind)).toEqual(['value', 'value', 'value']);
      const staleRow = (await cache.get('tr:1', productLoader(fx.pool, table, 1)))!;

      await fx.pool.query(`TRUNCATE ${table}`);
      await expect.poll(() => truncated.length, { timeout: 10_000 }).toBe(1);
      const { version } = truncated[0]!;
      expect(truncated[0]).toEqual({ table: `public.${table}`, version, keys: 3 });
      for (const s of before) expect(version).toBeGreaterThan(s.timestamp!);
      for (const id of [1, 2, 3])
        expect(await stored(cache, `tr:${id}`)).toEqual({ kind: 'tombstone', timestamp: version });
      expect(await stored(cache, 'oth:1')).toEqual(otherBefore);
      expect(await stored(neighbour, 'tr:1')).toEqual(neighbourBefore);
      expect(untouched).toEqual([]);

      // A filler that loaded the row before the TRUNCATE and writes after it.
      expect(await cache.set('tr:1', staleRow, before[0]!.timestamp!)).toMatchObject({ status: 'stale' });
      expect(await cache.get('tr:2', productLoader(fx.pool, table, 2))).toBeUndefined();

      await fx.pool.query(`INSERT INTO ${table} VALUES (1, 'again', 7)`);
      await expect
        .poll(async () => (await cache.get('tr:1', productLoader(fx.pool, table, 1)))?.price, { timeout: 10_000 })
        .toBe('7');
      expect((await stored(cache, 'tr:1')).timestamp).toBeGreaterThan(version);
    } finally {
      await follower.close();
    }
  });

  it('a fill in flight (loaded before the TRUNCATE, not yet in Redis) is tombstoned after it writes', async () => {
    const table = await productsTable(fx.pool, 1);
    // The follower runs with its own ZooKeeper session, as in another process.
    const followerCache = await openCache<Product>(fx.stack, { namespace: cache.namespace });
    const follower = await startFollower({
      database: fx.stack.postgres.url,
      cache: followerCache,
      tables: { [table]: 'fl:{id}' },
      slot: nextSlot(),
    });
    const truncated: FollowerEvents['truncated'][] = [];
    follower.events.on('truncated', (t) => truncated.push(t));
    try {
      await whenActive(follower);
      let loaded!: () => void;
      const rowLoaded = new Promise<void>((resolve) => {
        loaded = resolve;
      });
      const fill = cache.get('fl:1', async () => {
        const row = await productLoader(fx.pool, table, 1)();
        loaded();
        // Write only once the follower queues for this key's lock (or after 3 s without it).
        const until = Date.now() + 3_000;
        while (Date.now() < until && (await cache.locks.state('fl:1')).waiters.length === 0)
          await new Promise((r) => setTimeout(r, 20));
        return row;
      });
      await rowLoaded;
      await fx.pool.query(`TRUNCATE ${table}`);
      expect((await fill)?.id).toBe(1); // the filler served what it loaded
      await expect.poll(() => truncated.length, { timeout: 10_000 }).toBe(1);
      expect(await stored(cache, 'fl:1')).toEqual({ kind: 'tombstone', timestamp: truncated[0]!.version });
    } finally {
      await follower.close();
      await followerCache.close();
    }
  });

  it('with a function mapping the truncate event fires and nothing is touched', async () => {
    const table = await productsTable(fx.pool, 2);
    const follower = await startFollower({
      database: fx.stack.postgres.url,
      cache,
      tables: { [table]: (r) => `fn:${r.id}` },
      slot: nextSlot(),
    });
    const untouched: FollowerEvents['truncate'][] = [];
    const truncated: FollowerEvents['truncated'][] = [];
    follower.events.on('truncate', (t) => untouched.push(t));
    follower.events.on('truncated', (t) => truncated.push(t));
    try {
      await whenActive(follower);
      await cache.get('fn:1', productLoader(fx.pool, table, 1));
      const before = await stored(cache, 'fn:1');
      await fx.pool.query(`TRUNCATE ${table}`);
      await expect
        .poll(() => untouched, { timeout: 10_000 })
        .toEqual([{ tables: [`public.${table}`], reason: 'function-mapping' }]);
      // A later change is applied: the TRUNCATE's transaction is behind us, and it wrote nothing.
      await fx.pool.query(`INSERT INTO ${table} VALUES (5, 'five', 5)`);
      await expect.poll(async () => (await stored(cache, 'fn:5')).kind, { timeout: 10_000 }).toBe('tombstone');
      expect(await stored(cache, 'fn:1')).toEqual(before);
      expect(before.kind).toBe('value');
      expect(truncated).toEqual([]);
    } finally {
      await follower.close();
    }
  });

  it('a template-mapped table without the truncate trigger (an older install) is reported, not guessed', async () => {
    const table = await productsTable(fx.pool, 1);
    await fx.pool.query(`DROP TRIGGER zkoc_truncate_cache_version ON ${table}`);
    const follower = await startFollower({
      database: fx.stack.postgres.url,
      cache,
      tables: { [table]: 'nt:{id}' },
      slot: nextSlot(),
    });
    const untouched: FollowerEvents['truncate'][] = [];
    follower.events.on('truncate', (t) => untouched.push(t));
    try {
      await whenActive(follower);
      await cache.get('nt:1', productLoader(fx.pool, table, 1));
      await fx.pool.query(`TRUNCATE ${table}`);
      await expect
        .poll(() => untouched, { timeout: 10_000 })
        .toEqual([{ tables: [`public.${table}`], reason: 'no-truncate-trigger' }]);
      expect((await stored(cache, 'nt:1')).kind).toBe('value');
    } finally {
      await follower.close();
    }
  });
});

describe('ensureVersionColumn: the truncate trigger and TRUNCATE … RESTART IDENTITY', () => {
  it('a re-run adds the truncate trigger to an older install, once', async () => {
    const table = await productsTable(fx.pool, 0);
    await fx.pool.query(`DROP TRIGGER zkoc_truncate_cache_version ON ${table}`);
    expect(await ensureVersionColumn(fx.pool, { table })).toMatchObject({
      createdTrigger: false,
      createdTruncateTrigger: true,
    });
    expect(await ensureVersionColumn(fx.pool, { table })).toMatchObject({ createdTruncateTrigger: false });
  });

  it('RESTART IDENTITY restarts the id but not the version sequence: versions after it stay above the TRUNCATE', async () => {
    const table = `serial_${process.pid}`;
    await fx.pool.query(`CREATE TABLE ${table} (id serial PRIMARY KEY, name text)`);
    await fx.pool.query(`INSERT INTO ${table} (name) SELECT 'n' FROM generate_series(1, 5)`);
    await ensureVersionColumn(fx.pool, { table });
    const max = async () =>
      BigInt((await fx.pool.query(`SELECT max(cache_version)::text AS v FROM ${table}`)).rows[0].v);
    const beforeTruncate = await max();
    await fx.pool.query(`TRUNCATE ${table} RESTART IDENTITY`);
    const { rows } = await fx.pool.query(
      `INSERT INTO ${table} (name) VALUES ('again') RETURNING id, cache_version::text AS v`,
    );
    expect(rows[0].id).toBe(1); // the owned id sequence restarted
    expect(BigInt(rows[0].v)).toBeGreaterThan(beforeTruncate + 1n); // the TRUNCATE drew one version in between

    // A version sequence OWNED BY a column would restart with it: refused, nothing changed.
    await fx.pool.query(`CREATE TABLE ${table}_b (id serial PRIMARY KEY)`);
    await expect(
      ensureVersionColumn(fx.pool, { table: `${table}_b`, sequence: `${table}_b_id_seq` }),
    ).rejects.toMatchObject({
      code: 'E_INVALID_OPTIONS',
      message: expect.stringMatching(/owned by column "id".*RESTART IDENTITY/),
    });
    const columns = await fx.pool.query(
      `SELECT column_name FROM information_schema.columns WHERE table_name = $1 ORDER BY 1`,
      [`${table}_b`],
    );
    expect(columns.rows.map((r) => r.column_name)).toEqual(['id']);
  });

  it('a role that may TRUNCATE but is no superuser can: the trigger needs no extra privilege', async () => {
    const table = await productsTable(fx.pool, 1);
    await fx.pool.query(
      `CREATE ROLE truncater LOGIN; GRANT TRUNCATE, SELECT ON ${table} TO truncater; GRANT USAGE ON SEQUENCE ${table}_cache_version_seq TO truncater`,
    );
    const url = fx.stack.postgres.url.replace('postgres@', 'truncater@');
    const pg = await import('pg');
    const client = new pg.default.Client({ connectionString: url });
    await client.connect();
    try {
      await client.query(`TRUNCATE ${table}`);
    } finally {
      await client.end();
    }
    expect((await fx.pool.query(`SELECT count(*)::int AS n FROM ${table}`)).rows[0].n).toBe(0);
  });
});

it('zkoc follow: a TRUNCATE prints the keys it tombstoned, or a warning naming the table and the fix', async () => {
  const cache = await openCache<Product>(fx.stack);
  const table = await productsTable(fx.pool, 2);
  const old = await productsTable(fx.pool, 1);
  await fx.pool.query(`DROP TRIGGER zkoc_truncate_cache_version ON ${old}`); // an install from before the trigger
  const follow = spawnFollow([
    ...['--zk', fx.stack.zookeeper.connectString, '--redis', fx.stack.redis.url],
    ...['--database-url', fx.stack.postgres.url, '-n', cache.namespace, '--slot', `zkoc_trunc_cli_${process.pid}`],
    ...['--table', `${table}=cl:{id}`, '--table', `${old}=old:{id}`],
  ]);
  try {
    await follow.waitFor((e) => e.event === 'active', 20_000, 'the follower elected');
    for (const id of [1, 2]) await cache.get(`cl:${id}`, productLoader(fx.pool, table, id));
    await cache.get('old:1', productLoader(fx.pool, old, 1));
    await fx.pool.query(`TRUNCATE ${table}, ${old}`);
    const truncated = await follow.waitFor((e) => e.event === 'truncated', 10_000, 'the truncated line');
    expect(truncated).toMatchObject({ table: `public.${table}`, keys: 2 });
    expect((await stored(cache, 'cl:1')).timestamp).toBe(BigInt(truncated.version as string));
    const warning = await follow.waitFor((e) => e.event === 'truncate', 10_000, 'the warning line');
    expect(warning).toMatchObject({ level: 'warning', tables: [`public.${old}`], reason: 'no-truncate-trigger' });
    expect((await stored(cache, 'old:1')).kind).toBe('value');
    follow.child.kill('SIGTERM');
    expect(await follow.exited).toBe(0);
  } finally {
    if (follow.child.exitCode === null) follow.child.kill('SIGKILL');
    await cache.close();
  }
});
