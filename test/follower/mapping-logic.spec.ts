import { describe, expect, it } from 'vitest';
import { parseFollowerOptions } from '../../src/postgres/follower/follower-options.js';

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
