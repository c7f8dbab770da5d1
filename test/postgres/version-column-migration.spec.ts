import { describe, expect, it } from 'vitest';
import { InvalidOptionsError } from '../../src/errors.js';
import { ensureVersionColumn, loadVersioned } from '../../src/postgres/index.js';
import { usePgFixture } from './pg-fixture.js';

describe('ensureVersionColumn', () => {
  const fx = usePgFixture();

  it('with replicaIdentityFull, sets REPLICA IDENTITY FULL once (the change-stream follower needs it)', async () => {
    await fx.pool.query(`CREATE TABLE followed (id int PRIMARY KEY)`);
    const identity = async () =>
      (await fx.pool.query(`SELECT relreplident FROM pg_class WHERE oid = 'followed'::regclass`)).rows[0].relreplident;
    expect(await identity()).toBe('d');
    const first = await ensureVersionColumn(fx.pool, { table: 'followed', replicaIdentityFull: true });
    expect(first.setReplicaIdentityFull).toBe(true);
    expect(await identity()).toBe('f');
    const second = await ensureVersionColumn(fx.pool, { table: 'followed', replicaIdentityFull: true });
    expect(second.setReplicaIdentityFull).toBe(false);
  });

  it('adds a bigint NOT NULL column, a CACHE 1 sequence and a trigger; a second run changes nothing', async () => {
    await fx.pool.query(`CREATE TABLE products (id int PRIMARY KEY, price int NOT NULL)`);
    await fx.pool.query(`INSERT INTO products SELECT g, g * 10 FROM generate_series(1, 5) g`);

    const first = await ensureVersionColumn(fx.pool, { table: 'products' });
    expect(first).toEqual({
      table: '"public"."products"',
      column: 'cache_version',
      sequence: '"public"."products_cache_version_seq"',
      trigger: 'zkoc_version_cache_version',
      createdSequence: true,
      addedColumn: true,
      createdTrigger: true,
      createdTruncateTrigger: true,
      setReplicaIdentityFull: false,
    });
    const second = await ensureVersionColumn(fx.pool, { table: 'public.products' });
    expect(second).toMatchObject({
      createdSequence: false,
      addedColumn: false,
      createdTrigger: false,
      createdTruncateTrigger: false,
    });

    const column = await fx.pool.query(
      `SELECT format_type(atttypid, atttypmod) AS type, attnotnull FROM pg_attribute WHERE attrelid = 'products'::regclass AND attname = 'cache_version'`,
    );
    expect(column.rows).toEqual([{ type: 'bigint', attnotnull: true }]);
    expect(
      (
        await fx.pool.query(
          `SELECT cache_size::int FROM pg_sequences WHERE sequencename = 'products_cache_version_seq'`,
        )
      ).rows,
    ).toEqual([{ cache_size: 1 }]);
    expect(
      (
        await fx.pool.query(
          `SELECT tgname FROM pg_trigger WHERE tgrelid = 'products'::regclass AND NOT tgisinternal ORDER BY 1`,
        )
      ).rows.map((r) => r.tgname),
    ).toEqual(['zkoc_truncate_cache_version', 'zkoc_version_cache_version']); // one of each, after two runs

    // Existing rows got distinct versions; inserts and updates get new, higher ones.
    const existing = await fx.pool.query(`SELECT cache_version::text AS v FROM products`);
    expect(new Set(existing.rows.map((r) => r.v)).size).toBe(5);
    // biome-ignore lint/complexity/useMathMinMax: bigint values; Math.max takes numbers
    const maxExisting = existing.rows.map((r) => BigInt(r.v)).reduce((a, b) => (a > b ? a : b));
    await fx.pool.query(`INSERT INTO products (id, price, cache_version) VALUES (6, 60, 1)`); // the trigger overrides 1
    const inserted = await loadVersioned(fx.pool, `SELECT * FROM products WHERE id = 6`);
    expect(inserted!.timestamp).toBeGreaterThan(maxExisting);
    await fx.pool.query(`UPDATE products SET price = 61, cache_version = 0 WHERE id = 6`);
    const updated = await loadVersioned(fx.pool, `SELECT * FROM products WHERE id = 6`);
    expect(updated!.timestamp).toBeGreaterThan(inserted!.timestamp);
    expect(updated!.value).toEqual({ id: 6, price: 61 });
  });

  it('is safe when many connections run it at once on a fresh table', async () => {
    await fx.pool.query(`CREATE TABLE raced (id int PRIMARY KEY)`);
    const results = await Promise.all(
      Array.from({ length: 6 }, () => ensureVersionColumn(fx.pool, { table: 'raced' })),
    );
    expect(results.filter((r) => r.addedColumn)).toHaveLength(1);
    expect(results.filter((r) => r.createdSequence)).toHaveLength(1);
    expect(results.filter((r) => r.createdTrigger)).toHaveLength(1);
    await fx.pool.query(`INSERT INTO raced VALUES (1)`);
    expect((await loadVersioned(fx.pool, `SELECT * FROM raced`))!.timestamp).toBeGreaterThan(0n);
  });

  it('quotes schema-qualified, mixed-case and odd identifiers', async () => {
    await fx.pool.query(`CREATE SCHEMA "Shop Floor"`);
    await fx.pool.query(`CREATE TABLE "Shop Floor"."Odd ""Items""" (id int PRIMARY KEY, "Name" text)`);
    const result = await ensureVersionColumn(fx.pool, {
      table: { schema: 'Shop Floor', name: 'Odd "Items"' },
      column: 'Row Version',
    });
    expect(result.table).toBe('"Shop Floor"."Odd ""Items"""');
    expect(result.sequence).toBe('"Shop Floor"."Odd ""Items""_Row Version_seq"');
    await fx.pool.query(`INSERT INTO "Shop Floor"."Odd ""Items""" (id, "Name") VALUES (1, 'x')`);
    const loaded = await loadVersioned(fx.pool, `SELECT * FROM "Shop Floor"."Odd ""Items"""`, [], {
      versionColumn: 'Row Version',
      valueColumn: 'Name',
    });
    expect(loaded?.value).toBe('x');
    expect(loaded!.timestamp).toBe(1n);
  });

  it('rejects a missing table, a non-bigint column and a cached sequence, leaving nothing behind', async () => {
    await expect(ensureVersionColumn(fx.pool, { table: 'nope' })).rejects.toThrow(
      /options\.table "nope" does not exist/,
    );
    await fx.pool.query(`CREATE TABLE wrong_type (id int, cache_version int)`);
    const err = await ensureVersionColumn(fx.pool, { table: 'wrong_type' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InvalidOptionsError);
    expect((err as Error).message).toMatch(/exists with type integer; it must be bigint/);
    // Rolled back: the sequence created in that transaction is gone.
    expect((await fx.pool.query(`SELECT to_regclass('wrong_type_cache_version_seq') AS r`)).rows[0].r).toBeNull();

    await fx.pool.query(`CREATE TABLE cached (id int)`);
    await fx.pool.query(`CREATE SEQUENCE cached_seq CACHE 20`);
    await expect(ensureVersionColumn(fx.pool, { table: 'cached', sequence: 'cached_seq' })).rejects.toThrow(
      /CACHE 20.*CACHE 1/,
    );
    await expect(ensureVersionColumn(fx.pool, { table: 'x'.repeat(64) })).rejects.toThrow(/at most 63/);
  });

  it('adopts an existing nullable bigint column through a single client: fills NULLs, sets NOT NULL', async () => {
    await fx.pool.query(`CREATE TABLE adopted (id int PRIMARY KEY, cache_version bigint)`);
    await fx.pool.query(`INSERT INTO adopted VALUES (1, NULL), (2, NULL), (3, 77)`);
    const client = await fx.connect();
    const result = await ensureVersionColumn(client, { table: 'adopted' });
    expect(result).toMatchObject({ addedColumn: false, createdSequence: true, createdTrigger: true });
    const rows = (await client.query(`SELECT id, cache_version::text AS v FROM adopted ORDER BY id`)).rows;
    expect(rows[2]).toEqual({ id: 3, v: '77' });
    expect(rows.every((r) => r.v !== null)).toBe(true);
    expect(
      (
        await client.query(
          `SELECT attnotnull FROM pg_attribute WHERE attrelid = 'adopted'::regclass AND attname = 'cache_version'`,
        )
      ).rows[0].attnotnull,
    ).toBe(true);
    // The client is usable afterwards: not left inside a transaction.
    expect((await client.query(`SELECT now() = statement_timestamp() AS outside`)).rows[0].outside).toBe(true);
  });
});
