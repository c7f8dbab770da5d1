import { describe, expect, it } from 'vitest';
import { deleteVersioned, ensureVersionColumn } from '../../src/postgres/index.js';
import { usePgFixture } from './pg-fixture.js';

// Tables whose rows feed one cache key must draw versions from one sequence (README, "Writes that
// bypass the library"): ensureVersionColumn's `sequence` option shares one.
describe('ensureVersionColumn: tables sharing one version sequence', () => {
  const fx = usePgFixture();

  /** The sequence each zkoc trigger of `table` names (version and truncate triggers). */
  const triggerSequences = async (table: string) =>
    (
      await fx.pool.query(
        `SELECT tgname, convert_from(substring(tgargs FROM 1 FOR position('\\x00'::bytea IN tgargs) - 1), 'UTF8') AS seq
           FROM pg_trigger WHERE tgrelid = $1::regclass AND NOT tgisinternal ORDER BY tgname`,
        [table],
      )
    ).rows.map((r) => `${r.tgname}=${r.seq}`);
  const version = async (sql: string) =>
    BigInt((await fx.pool.query(`${sql} RETURNING cache_version::text AS v`)).rows[0].v);

  it("a second table given the first one's sequence draws from it; a re-run without `sequence` keeps it", async () => {
    await fx.pool.query('CREATE TABLE s_products (id int PRIMARY KEY, name text)');
    await fx.pool.query('CREATE TABLE s_variants (id int PRIMARY KEY, product_id int, name text)');
    const first = await ensureVersionColumn(fx.pool, { table: 's_products' });
    const second = await ensureVersionColumn(fx.pool, {
      table: 's_variants',
      sequence: 'public.s_products_cache_version_seq',
    });
    expect(second).toMatchObject({ sequence: first.sequence, createdSequence: false, createdTrigger: true });
    expect(await triggerSequences('s_variants')).toEqual([
      `zkoc_truncate_cache_version=${first.sequence}`,
      `zkoc_version_cache_version=${first.sequence}`,
    ]);
    const versions = [
      await version(`INSERT INTO s_products VALUES (1, 'p')`),
      await version(`INSERT INTO s_variants VALUES (1, 1, 'v')`),
      await version(`UPDATE s_products SET name = 'p2' WHERE id = 1`),
      await version(`UPDATE s_variants SET name = 'v2' WHERE id = 1`),
    ];
    for (let i = 1; i < versions.length; i++) expect(versions[i]).toBe(versions[i - 1]! + 1n); // one counter

    // A migration script re-run on every deploy must not undo the sharing.
    const rerun = await ensureVersionColumn(fx.pool, { table: 's_variants', replicaIdentityFull: true });
    expect(rerun).toMatchObject({ sequence: first.sequence, createdSequence: false, createdTrigger: false });
    expect(rerun.movedFromSequence).toBeUndefined();
    expect(
      (await fx.pool.query(`SELECT to_regclass('s_variants_cache_version_seq') IS NULL AS absent`)).rows[0].absent,
    ).toBe(true);
    expect(await triggerSequences('s_variants')).toEqual([
      `zkoc_truncate_cache_version=${first.sequence}`,
      `zkoc_version_cache_version=${first.sequence}`,
    ]);
  });

  it('moves a table already versioned from its own sequence, raising the shared one above both first', async () => {
    await fx.pool.query('CREATE TABLE m_products (id int PRIMARY KEY, name text)');
    await fx.pool.query('CREATE TABLE m_variants (id int PRIMARY KEY, product_id int, name text)');
    await fx.pool.query(`INSERT INTO m_products VALUES (1, 'p')`);
    await fx.pool.query(`INSERT INTO m_variants VALUES (1, 1, 'v'), (2, 1, 'w')`);
    const products = await ensureVersionColumn(fx.pool, { table: 'm_products' });
    const variants = await ensureVersionColumn(fx.pool, { table: 'm_variants' });
    await fx.pool.query(`SELECT setval('m_variants_cache_version_seq', 9000)`);
    const variantHigh = await version(`UPDATE m_variants SET name = 'v9' WHERE id = 1`); // 9001
    const productLow = await version(`UPDATE m_products SET name = 'p2' WHERE id = 1`);
    expect(productLow).toBeLessThan(variantHigh); // the mix the follower refuses

    const moved = await ensureVersionColumn(fx.pool, {
      table: 'm_variants',
      sequence: 'public.m_products_cache_version_seq',
    });
    expect(moved).toMatchObject({
      sequence: products.sequence,
      movedFromSequence: variants.sequence,
      createdSequence: false,
      createdTrigger: false,
      createdTruncateTrigger: false,
    });
    expect(await triggerSequences('m_variants')).toEqual([
      `zkoc_truncate_cache_version=${products.sequence}`,
      `zkoc_version_cache_version=${products.sequence}`,
    ]);
    // Every later version of either table is above everything either gave out before.
    const productNext = await version(`UPDATE m_products SET name = 'p3' WHERE id = 1`);
    const variantNext = await version(`UPDATE m_variants SET name = 'w2' WHERE id = 2`);
    expect(productNext).toBeGreaterThan(variantHigh);
    expect(variantNext).toBe(productNext + 1n);
    // deleteVersioned without `sequence` follows the trigger, not the old default name.
    const deleted = await deleteVersioned(fx.pool, 'm_variants', 'id = $1', [2]);
    expect(deleted).toEqual({ deletedRows: 1, timestamp: variantNext + 1n });
    // Running it again changes nothing.
    expect(
      (await ensureVersionColumn(fx.pool, { table: 'm_variants', sequence: 'public.m_products_cache_version_seq' }))
        .movedFromSequence,
    ).toBeUndefined();
  });

  it('the move waits for transactions that drew from the shared sequence, so its raise cannot land under their values', async () => {
    await fx.pool.query('CREATE TABLE l_products (id int PRIMARY KEY)');
    await fx.pool.query('CREATE TABLE l_variants (id int PRIMARY KEY)');
    const products = await ensureVersionColumn(fx.pool, { table: 'l_products' });
    await ensureVersionColumn(fx.pool, { table: 'l_variants' });
    await fx.pool.query(`SELECT setval('l_variants_cache_version_seq', 5000)`);
    const writer = await fx.connect();
    await writer.query('BEGIN');
    await writer.query('INSERT INTO l_products VALUES (1)'); // nextval: holds the sequence's lock until COMMIT
    const move = ensureVersionColumn(fx.pool, { table: 'l_variants', sequence: 'public.l_products_cache_version_seq' });
    const waiting = async () =>
      (
        await fx.pool.query(
          `SELECT count(*)::int AS n FROM pg_locks WHERE relation = 'l_products_cache_version_seq'::regclass AND NOT granted`,
        )
      ).rows[0].n;
    await expect.poll(waiting, { timeout: 10_000 }).toBe(1);
    await writer.query('COMMIT');
    expect((await move).movedFromSequence).toBe('"public"."l_variants_cache_version_seq"');
    expect(products.sequence).toBe('"public"."l_products_cache_version_seq"');
    expect(await version('INSERT INTO l_products VALUES (2)')).toBe(5001n);
  });

  it('never lowers the shared sequence: a table moved onto one that is ahead keeps drawing above both', async () => {
    await fx.pool.query('CREATE TABLE a_orders (id int PRIMARY KEY, n int)');
    await fx.pool.query('CREATE TABLE a_lines (id int PRIMARY KEY, n int)');
    const orders = await ensureVersionColumn(fx.pool, { table: 'a_orders' });
    await ensureVersionColumn(fx.pool, { table: 'a_lines' });
    await fx.pool.query(`SELECT setval('a_orders_cache_version_seq', 50000)`);
    const before = await version(`INSERT INTO a_lines VALUES (1, 1)`);
    expect(before).toBeLessThan(100n);
    await fx.pool.query('DROP TRIGGER zkoc_truncate_cache_version ON a_lines'); // an install from before it
    const moved = await ensureVersionColumn(fx.pool, {
      table: 'a_lines',
      sequence: orders.sequence.replaceAll('"', ''),
    });
    expect(moved).toMatchObject({
      movedFromSequence: '"public"."a_lines_cache_version_seq"',
      createdTruncateTrigger: true,
    });
    expect(await triggerSequences('a_lines')).toEqual([
      `zkoc_truncate_cache_version=${orders.sequence}`,
      `zkoc_version_cache_version=${orders.sequence}`,
    ]);
    expect(await version(`UPDATE a_lines SET n = 2 WHERE id = 1`)).toBe(50001n);
    expect(await version(`INSERT INTO a_orders VALUES (1, 1)`)).toBe(50002n);
  });
});
