import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OrderedCache } from '../../src/cache/ordered-cache.js';
import { type Follower, type FollowerEvents, startFollower } from '../../src/postgres/index.js';
import { openCache } from '../cache/fixture.js';
import { usePgFixture } from '../postgres/pg-fixture.js';
import { type Product, productLoader, productsTable, stored, whenActive } from './fixture.js';

const fx = usePgFixture();
let slots = 0;
const nextSlot = () => `zkoc_test_${process.pid}_${++slots}`;

describe('startFollower: writes that bypass the library reach the cache', () => {
  let cache: OrderedCache<Product>;
  let table: string;
  let follower: Follower;
  const errors: FollowerEvents['error'][] = [];

  beforeAll(async () => {
    cache = await openCache<Product>(fx.stack);
    table = await productsTable(fx.pool, 3);
    follower = await startFollower({
      database: fx.stack.postgres.url,
      cache,
      tables: { [table]: (row) => `product:${row.id}` },
      slot: nextSlot(),
    });
    follower.events.on('error', (e) => errors.push(e));
    await whenActive(follower);
  });
  afterAll(async () => {
    await follower?.close();
    await cache?.close();
  });

  const read = (id: number) => cache.get(`product:${id}`, productLoader(fx.pool, table, id));

  it('an UPDATE in plain SQL invalidates the cached row; the next read loads the new value', async () => {
    expect((await read(1))?.price).toBe('100');
    await fx.pool.query(`UPDATE ${table} SET price = 50 WHERE id = 1`);
    await expect.poll(async () => (await read(1))?.price, { timeout: 10_000 }).toBe('50');
  });

  it('a DELETE tombstones above the deleted row, and a re-insert is served again', async () => {
    expect((await read(2))?.price).toBe('100');
    const { rows } = await fx.pool.query(`DELETE FROM ${table} WHERE id = 2 RETURNING cache_version::text AS v`);
    const deletedVersion = BigInt(rows[0].v);
    await expect
      .poll(() => stored(cache, 'product:2'), { timeout: 10_000 })
      .toEqual({
        kind: 'tombstone',
        timestamp: deletedVersion + 1n,
      });
    expect(await read(2)).toBeUndefined();
    await fx.pool.query(`INSERT INTO ${table} VALUES (2, 'again', 70)`);
    await expect.poll(async () => (await read(2))?.price, { timeout: 10_000 }).toBe('70');
  });

  it('an INSERT invalidates a cached "no such row"', async () => {
    const { rows } = await fx.pool.query(`SELECT last_value::text AS v FROM ${table}_cache_version_seq`);
    await cache.store.writeMissing('product:9', BigInt(rows[0].v));
    expect(await cache.get('product:9', productLoader(fx.pool, table, 9))).toBeUndefined();
    await fx.pool.query(`INSERT INTO ${table} VALUES (9, 'new', 30)`);
    await expect.poll(async () => (await read(9))?.price, { timeout: 10_000 }).toBe('30');
    expect(errors).toEqual([]);
  });
});

describe('startFollower: refresh instead of invalidate, and TRUNCATE', () => {
  let cache: OrderedCache<Product>;
  beforeAll(async () => {
    cache = await openCache<Product>(fx.stack);
  });
  afterAll(async () => {
    await cache?.close();
  });

  it('with a value mapping, an UPDATE writes the new row at its version: the next read needs no load', async () => {
    const table = await productsTable(fx.pool, 2);
    const follower = await startFollower({
      database: fx.stack.postgres.url,
      cache,
      tables: {
        [table]: {
          key: (row) => `v:${row.id}`,
          value: (row) => ({ id: row.id as number, name: row.name as string, price: row.price as string }),
        },
      },
      slot: nextSlot(),
    });
    try {
      await whenActive(follower);
      const { rows } = await fx.pool.query(
        `UPDATE ${table} SET price = 42 WHERE id = 1 RETURNING cache_version::text AS v`,
      );
      await expect.poll(async () => (await cache.peek('v:1'))?.timestamp, { timeout: 10_000 }).toBe(BigInt(rows[0].v));
      const loads: number[] = [];
      const loader = () => {
        loads.push(1);
        return undefined;
      };
      expect(await cache.get('v:1', loader)).toEqual({ id: 1, name: 'item 1', price: '42' });
      expect(loads).toEqual([]);
    } finally {
      await follower.close();
    }
  });

  it('reports a TRUNCATE of a mapped table loudly, since its keys cannot be known from the stream', async () => {
    const table = await productsTable(fx.pool, 2);
    const follower = await startFollower({
      database: fx.stack.postgres.url,
      cache,
      tables: { [table]: (r) => `t:${r.id}` },
      slot: nextSlot(),
    });
    const truncated: FollowerEvents['truncate'][] = [];
    follower.events.on('truncate', (t) => truncated.push(t));
    try {
      await whenActive(follower);
      await fx.pool.query(`TRUNCATE ${table}`);
      await expect
        .poll(() => truncated, { timeout: 10_000 })
        .toEqual([{ tables: [`public.${table}`], reason: 'function-mapping' }]);
    } finally {
      await follower.close();
    }
  });
});

describe('startFollower: bad set-ups are typed errors, bad rows are reported and skipped', () => {
  let cache: OrderedCache<Product>;
  beforeAll(async () => {
    cache = await openCache<Product>(fx.stack);
  });
  afterAll(async () => {
    await cache?.close();
  });

  it('names ensureVersionColumn for a table without the version column or REPLICA IDENTITY FULL', async () => {
    const slotsBefore = await slotNames();
    await fx.pool.query('CREATE TABLE plain_rows (id int PRIMARY KEY)');
    const start = (t: string) =>
      startFollower({ database: fx.stack.postgres.url, cache, tables: { [t]: (r) => `p:${r.id}` }, slot: nextSlot() });
    await expect(start('plain_rows')).rejects.toMatchObject({
      code: 'E_FOLLOWER_TABLE',
      message: expect.stringMatching(/no bigint version column "cache_version".*ensureVersionColumn/),
    });
    await fx.pool.query('CREATE TABLE versioned_rows (id int PRIMARY KEY)');
    await import('../../src/postgres/index.js').then((m) =>
      m.ensureVersionColumn(fx.pool, { table: 'versioned_rows' }),
    );
    await expect(start('versioned_rows')).rejects.toMatchObject({
      code: 'E_FOLLOWER_TABLE',
      message: expect.stringMatching(/REPLICA IDENTITY FULL.*replicaIdentityFull: true/),
    });
    await expect(start('no_such_table')).rejects.toMatchObject({ code: 'E_FOLLOWER_TABLE' });
    expect(await slotNames()).toEqual(slotsBefore); // nothing created
  });

  it('refuses a role without REPLICATION, naming the fix', async () => {
    const table = await productsTable(fx.pool, 0);
    await fx.pool.query(`CREATE ROLE plain_reader LOGIN; GRANT SELECT ON ${table} TO plain_reader`);
    const url = fx.stack.postgres.url.replace('postgres@', 'plain_reader@');
    await expect(
      startFollower({ database: url, cache, tables: { [table]: (r) => `p:${r.id}` }, slot: nextSlot() }),
    ).rejects.toMatchObject({
      code: 'E_REPLICATION_PRIVILEGE',
      message: expect.stringContaining('ALTER ROLE "plain_reader" REPLICATION'),
    });
  });

  it('a mapping that throws or returns an invalid key is reported with table and primary key; other rows go on', async () => {
    const table = await productsTable(fx.pool, 4);
    const follower = await startFollower({
      database: fx.stack.postgres.url,
      cache,
      tables: {
        [table]: (row) => {
          if (row.id === 2) throw new Error('no key for two');
          return row.id === 3 ? '' : `m:${row.id}`;
        },
      },
      slot: nextSlot(),
    });
    const problems: FollowerEvents['error'][] = [];
    follower.events.on('error', (e) => problems.push(e));
    try {
      await whenActive(follower);
      await fx.pool.query(`UPDATE ${table} SET price = 1`);
      await expect.poll(async () => (await stored(cache, 'm:4')).kind, { timeout: 10_000 }).toBe('tombstone');
      expect((await stored(cache, 'm:1')).kind).toBe('tombstone');
      expect(
        problems.map((p) => (p.kind === 'row' ? [p.problem.table, p.problem.primaryKey, String(p.problem.error)] : p)),
      ).toEqual([
        [`public.${table}`, { id: 2 }, 'Error: no key for two'],
        [`public.${table}`, { id: 3 }, expect.stringContaining('InvalidKeyError')],
      ]);
    } finally {
      await follower.close();
    }
  });
});

async function slotNames(): Promise<string[]> {
  const { rows } = await fx.pool.query('SELECT slot_name FROM pg_replication_slots ORDER BY 1');
  return rows.map((r) => r.slot_name as string);
}
