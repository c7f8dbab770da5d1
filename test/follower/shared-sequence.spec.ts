import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OrderedCache } from '../../src/cache/ordered-cache.js';
import { type ChangedRow, ensureVersionColumn, type Follower, startFollower } from '../../src/postgres/index.js';
import { openCache } from '../cache/fixture.js';
import { runZkoc } from '../cli/run-zkoc.js';
import { usePgFixture } from '../postgres/pg-fixture.js';
import { whenActive } from './fixture.js';

const fx = usePgFixture();
let slots = 0;
const nextSlot = () => `zkoc_seq_${process.pid}_${++slots}`;
let pairs = 0;

interface Item {
  from: string;
  name: string;
}

/** products_N and variants_N (variants.product_id → products.id), each versioned from its own sequence. */
async function productsAndVariants(): Promise<{ products: string; variants: string }> {
  pairs += 1;
  const products = `sp_products_${pairs}`;
  const variants = `sp_variants_${pairs}`;
  await fx.pool.query(`CREATE TABLE ${products} (id int PRIMARY KEY, name text NOT NULL)`);
  await fx.pool.query(`CREATE TABLE ${variants} (id int PRIMARY KEY, product_id int NOT NULL, name text NOT NULL)`);
  await fx.pool.query(`INSERT INTO ${products} VALUES (1, 'p0')`);
  await fx.pool.query(`INSERT INTO ${variants} VALUES (1, 1, 'v0')`);
  await ensureVersionColumn(fx.pool, { table: products, replicaIdentityFull: true });
  await ensureVersionColumn(fx.pool, { table: variants, replicaIdentityFull: true });
  return { products, variants };
}

async function catalog(): Promise<{ slots: string[]; publications: string[] }> {
  const slots = await fx.pool.query('SELECT slot_name AS n FROM pg_replication_slots ORDER BY 1');
  const publications = await fx.pool.query('SELECT pubname AS n FROM pg_publication ORDER BY 1');
  return { slots: slots.rows.map((r) => r.n), publications: publications.rows.map((r) => r.n) };
}

describe('startFollower: tables that can write one cache key must share a version sequence', () => {
  let cache: OrderedCache<Item>;
  beforeAll(async () => {
    cache = await openCache<Item>(fx.stack);
  });
  afterAll(async () => {
    await cache?.close();
  });

  it('refuses two such tables on different sequences, before creating anything, naming both and the fix', async () => {
    const { products, variants } = await productsAndVariants();
    const before = await catalog();
    const error = await startFollower({
      database: fx.stack.postgres.url,
      cache,
      tables: { [products]: 'product:{id}', [variants]: ['variant:{id}', 'product:{product_id}'] },
      slot: nextSlot(),
    }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'E_FOLLOWER_TABLE', table: `public.${variants}` });
    const message = (error as Error).message;
    expect(message).toContain(`tables public.${products} and public.${variants} can write the same cache key`);
    expect(message).toContain('"product:{id}" and "product:{product_id}" both render e.g. "product:x"');
    expect(message).toContain(`"public"."${products}_cache_version_seq" and "public"."${variants}_cache_version_seq"`);
    expect(message).toContain(
      `ensureVersionColumn(db, { table: "public.${variants}", column: "cache_version", sequence: "public.${products}_cache_version_seq", replicaIdentityFull: true })`,
    );
    expect(await catalog()).toEqual(before);

    // Keys that cannot meet may come from different sequences.
    const apart = await startFollower({
      database: fx.stack.postgres.url,
      cache,
      tables: { [products]: 'product:{id}', [variants]: 'variant:{id}' },
      slot: nextSlot(),
    });
    await apart.close();
  });

  it('through a shared sequence the cache ends at the row written last, whichever table wrote it', async () => {
    const { products, variants } = await productsAndVariants();
    // variants ran far ahead on its own sequence: what the follower's refusal protects against.
    await fx.pool.query(`SELECT setval('${variants}_cache_version_seq', 9000)`);
    await fx.pool.query(`UPDATE ${variants} SET name = 'v1'`);
    const moved = await ensureVersionColumn(fx.pool, {
      table: variants,
      sequence: `public.${products}_cache_version_seq`,
      replicaIdentityFull: true,
    });
    expect(moved.movedFromSequence).toBe(`"public"."${variants}_cache_version_seq"`);

    const item = (from: string) => (row: ChangedRow) => ({ from, name: row.name as string });
    let follower: Follower | undefined;
    try {
      follower = await startFollower({
        database: fx.stack.postgres.url,
        cache,
        tables: {
          [products]: { key: 'product:{id}', value: item('products') },
          [variants]: { key: 'product:{product_id}', value: item('variants') },
        },
        slot: nextSlot(),
      });
      await whenActive(follower);
      const writes: [string, string][] = [
        [products, 'p1'],
        [variants, 'v2'],
        [products, 'p3'], // below 9000 had it kept its own sequence: refused as stale
        [products, 'p4'],
        [variants, 'v5'],
      ];
      for (const [table, name] of writes) {
        const { rows } = await fx.pool.query(
          `UPDATE ${table} SET name = $1 WHERE id = 1 RETURNING cache_version::text AS v`,
          [name],
        );
        const from = table === products ? 'products' : 'variants';
        await expect
          .poll(async () => await cache.peek('product:1'), { timeout: 10_000 })
          .toMatchObject({ value: { from, name }, timestamp: BigInt(rows[0].v) });
      }
    } finally {
      await follower?.close();
    }
  });

  it('refuses a version column that no zkoc trigger feeds, or whose trigger is disabled', async () => {
    await fx.pool.query(
      'CREATE TABLE hand_versioned (id int PRIMARY KEY, cache_version bigint NOT NULL DEFAULT 0); ' +
        'ALTER TABLE hand_versioned REPLICA IDENTITY FULL',
    );
    const start = (table: string) =>
      startFollower({ database: fx.stack.postgres.url, cache, tables: { [table]: 'h:{id}' }, slot: nextSlot() });
    await expect(start('hand_versioned')).rejects.toMatchObject({
      code: 'E_FOLLOWER_TABLE',
      message: expect.stringMatching(/no zkoc version trigger for "cache_version".*ensureVersionColumn/),
    });
    const { products } = await productsAndVariants();
    await fx.pool.query(`ALTER TABLE ${products} DISABLE TRIGGER zkoc_version_cache_version`);
    await expect(start(products)).rejects.toMatchObject({
      code: 'E_FOLLOWER_TABLE',
      message: expect.stringContaining(`ENABLE TRIGGER "zkoc_version_cache_version"`),
    });
  });
});

it('zkoc follow refuses tables that write one key from different sequences, naming the fix', async () => {
  const { products, variants } = await productsAndVariants();
  const run = await runZkoc([
    'follow',
    ...['--zk', fx.stack.zookeeper.connectString, '--redis', fx.stack.redis.url],
    ...['--database-url', fx.stack.postgres.url, '-n', `seqcli${process.pid}`, '--slot', nextSlot()],
    ...['--table', `${products}=product:{id}`, '--table', `${variants}=product:{product_id}`],
  ]);
  expect(run.code).toBe(1);
  expect(run.stderr).toContain(`tables public.${products} and public.${variants} can write the same cache key`);
  expect(run.stderr).toContain(`sequence: "public.${products}_cache_version_seq"`);
});
