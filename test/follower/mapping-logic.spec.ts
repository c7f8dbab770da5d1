import { describe, expect, it } from 'vitest';
import { FollowerTableError } from '../../src/errors.js';
import { parseFollowerOptions } from '../../src/postgres/follower/follower-options.js';
import { assertSharedSequences, sharedKeys } from '../../src/postgres/follower/shared-sequences.js';

const parse = (tables: Record<string, unknown>) =>
  parseFollowerOptions({ database: 'postgres://u@127.0.0.1/x', tables: tables as never }, 'ns');

describe('startFollower table mappings (pure logic)', () => {
  it('a template string, several, or { key: template } render keys and keep their templates for a TRUNCATE', () => {
    const [one, many, spec] = parse({
      products: 'product:{id}',
      'shop.variants': ['product:{product_id}', 'variant:{id}'],
      prices: { key: 'price:{sku}', column: 'v' },
    }).tables;
    expect(one!.key({ id: 7 })).toEqual(['product:7']);
    expect(one!.templates!.map((t) => t.prefix)).toEqual(['product:']);
    expect(many!.id).toBe('shop.variants');
    expect(many!.key({ id: 2, product_id: 9 })).toEqual(['product:9', 'variant:2']);
    expect(spec!.templates!.map((t) => t.source)).toEqual(['price:{sku}']);
    expect(spec!.column).toBe('v');
  });

  it('a function mapping has no templates: a TRUNCATE of it cannot be inverted', () => {
    const [fn] = parse({ products: (r: { id: number }) => `p:${r.id}` }).tables;
    expect(fn!.templates).toBeUndefined();
    expect(fn!.key({ id: 1 })).toBe('p:1');
  });

  it('refuses a template without a field, an empty list and a non-mapping, naming the table', () => {
    expect(() => parse({ products: 'product' })).toThrow(/options\.tables\["products"\] "product" names no field/);
    expect(() => parse({ products: [] })).toThrow(/options\.tables\["products"\] must name at least one key template/);
    expect(() => parse({ products: 42 })).toThrow(/options\.tables\["products"\] must be a key template/);
  });
});

describe('tables that can write one key must share a version sequence (pure logic)', () => {
  const sequence = (name: string, oid: number) => ({
    sql: `"public"."${name}"`,
    relation: { schema: 'public', name },
    oid,
  });

  it('finds the pairs of template-mapped tables whose templates can render a common key', () => {
    const { tables } = parse({
      products: 'product:{id}',
      variants: ['variant:{id}', 'product:{product_id}'],
      prices: 'price:{sku}',
      audit: (r: { id: number }) => `product:${r.id}`, // a function: cannot be compared
      'public.products': { key: 'product:{id}', column: 'v2' }, // the same table, another version column
    });
    expect(sharedKeys(tables).map((s) => [s.first.id, s.second.id, s.templates, s.key])).toEqual([
      ['public.products', 'public.variants', ['product:{id}', 'product:{product_id}'], 'product:x'],
      ['public.products', 'public.products', ['product:{id}', 'product:{id}'], 'product:x'],
      ['public.variants', 'public.products', ['product:{product_id}', 'product:{id}'], 'product:x'],
    ]);
  });

  it('refuses overlapping tables with different sequences, naming both, the templates and the fix', () => {
    const { tables } = parse({ products: 'product:{id}', 'shop.variants': 'product:{product_id}' });
    const seqs = new Map([
      [tables[0], sequence('products_cache_version_seq', 1)],
      [tables[1], sequence('variants_cache_version_seq', 2)],
    ]);
    let error: unknown;
    try {
      assertSharedSequences(tables, (t) => seqs.get(t)!);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(FollowerTableError);
    expect(error).toMatchObject({ code: 'E_FOLLOWER_TABLE', table: 'shop.variants' });
    const message = (error as Error).message;
    for (const part of [
      'tables public.products and shop.variants can write the same cache key',
      '"product:{id}" and "product:{product_id}" both render e.g. "product:x"',
      '"public"."products_cache_version_seq" and "public"."variants_cache_version_seq"',
      'ensureVersionColumn(db, { table: "shop.variants", column: "cache_version", sequence: "public.products_cache_version_seq", replicaIdentityFull: true })',
      'first raises "public"."products_cache_version_seq" above every version',
    ])
      expect(message).toContain(part);
    // One sequence, or keys that cannot meet: accepted.
    expect(() => assertSharedSequences(tables, () => sequence('shared', 7))).not.toThrow();
    const apart = parse({ products: 'product:{id}', variants: 'variant:{id}' }).tables;
    expect(() => assertSharedSequences(apart, (t) => sequence(t.id, t === apart[0] ? 1 : 2))).not.toThrow();
  });
});
