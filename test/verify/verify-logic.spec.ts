import { describe, expect, it } from 'vitest';
import { sampleKeys } from '../../src/cli/verify/sample-keys.js';
import { parseKeyTemplate } from '../../src/core/key-template.js';
import { InvalidOptionsError } from '../../src/errors.js';
import type { ServingEntry } from '../../src/redis/entry.js';
import { caughtUp, classify, movedSinceDelete, ninesOf } from '../../src/verify/index.js';

const value = (ts: bigint, isFresh = true): ServingEntry<unknown> => ({
  kind: 'value',
  key: 'k',
  timestamp: ts,
  expiresAt: 0,
  isFresh,
  value: 1,
});
const missing = (ts: bigint): ServingEntry<unknown> => ({
  kind: 'missing',
  key: 'k',
  timestamp: ts,
  expiresAt: 0,
  isFresh: true,
});
const tombstone = (ts: bigint): ServingEntry<unknown> => ({
  kind: 'tombstone',
  key: 'k',
  timestamp: ts,
  expiresAt: 0,
  isFresh: false,
});

describe('key templates', () => {
  it('renders a key from a row and reads the fields back', () => {
    const t = parseKeyTemplate('tenant:{tenant_id}:product:{id}');
    expect(t.fields).toEqual(['tenant_id', 'id']);
    expect(t.render({ tenant_id: 7, id: 123n })).toBe('tenant:7:product:123');
    expect(t.match('tenant:7:product:123')).toEqual({ tenant_id: '7', id: '123' });
    expect(t.match('product:123')).toBeUndefined();
    expect(parseKeyTemplate('p:{id}').match('p:a:b')).toEqual({ id: 'a:b' });
  });

  it('refuses templates that cannot round-trip', () => {
    for (const bad of ['', 'product', 'p:{id}{sku}', 'p:{id}:{id}']) {
      expect(() => parseKeyTemplate(bad), bad).toThrow(InvalidOptionsError);
    }
    expect(() => parseKeyTemplate('p:{id}').render({ sku: 1 })).toThrow(/has no id/);
  });
});

describe('classify', () => {
  it.each([
    ['nothing cached', undefined, 5n, 'absent'],
    ['an expired value', value(4n, false), 5n, 'absent'],
    ['the same version', value(5n), 5n, 'consistent'],
    ['an older version', value(4n), 5n, 'stale'],
    ['a deleted row still cached', value(4n), undefined, 'stale'],
    ['a version the database does not have', value(6n), 5n, 'ahead'],
    ['a cached "missing" for a missing row', missing(3n), undefined, 'consistent'],
    ['a cached "missing" for an inserted row', missing(3n), 5n, 'stale'],
    ['a tombstone at the row version', tombstone(5n), 5n, 'consistent'],
    ['a tombstone for a deleted row', tombstone(9n), undefined, 'consistent'],
    ['a tombstone above the row version (fills refused)', tombstone(9n), 5n, 'ahead'],
  ] as const)('%s', (_what, entry, db, verdict) => {
    expect(classify(entry, db)).toBe(verdict);
  });

  it('a stale key caught up once the cache serves at least the version seen first, or nothing', () => {
    expect(caughtUp(value(5n), 5n)).toBe(true);
    expect(caughtUp(value(6n), 5n)).toBe(true);
    expect(caughtUp(value(4n), 5n)).toBe(false);
    expect(caughtUp(tombstone(5n), 5n)).toBe(true);
    expect(caughtUp(undefined, 5n)).toBe(true);
    expect(caughtUp(value(4n), undefined)).toBe(false);
  });

  it('a row deleted at the first look and inserted again: caught up when the cache serves the new row', () => {
    expect(caughtUp(value(7n), undefined, 7n)).toBe(true);
    expect(caughtUp(value(8n), undefined, 7n)).toBe(true);
    expect(caughtUp(value(4n), undefined, 7n)).toBe(false); // still the row from before the delete
    expect(caughtUp(value(4n), undefined, undefined)).toBe(false);
  });

  it('over a row deleted at the first look: watched once more only when the cache moved since the last look', () => {
    // First look: value at 3 over no row. Re-check: the row is back above the value, or gone again.
    expect(movedSinceDelete(value(5n), undefined, 3n)).toBe(true);
    expect(movedSinceDelete(value(3n), undefined, 3n)).toBe(false); // still what it served then
    expect(movedSinceDelete(value(5n), 4n, 3n)).toBe(false); // not a deleted row: caughtUp decides
  });
});

describe('nines', () => {
  it('measures −log10 of the violation rate, and claims only the rule-of-three bound without one', () => {
    expect(ninesOf(1_000_000, 1).nines).toBeCloseTo(6, 10);
    expect(ninesOf(1_000_000, 1).lowerBound).toBe(false);
    const none = ninesOf(3_000_000, 0);
    expect(none.nines).toBeCloseTo(6, 10);
    expect(none.lowerBound).toBe(true);
    expect(ninesOf(0, 0).nines).toBe(0);
  });
});

describe('sampleKeys', () => {
  async function* scan(keys: string[]) {
    yield* keys;
  }
  it('keeps every distinct key up to the limit, or a uniform sample of the size asked', async () => {
    const keys = Array.from({ length: 100 }, (_, i) => `k${i}`);
    const store = { scan: () => scan([...keys, 'k1', 'k2']) };
    expect(await sampleKeys(store, { prefix: '', limit: 1000, sample: undefined })).toHaveLength(100);
    expect(await sampleKeys(store, { prefix: '', limit: 10, sample: undefined })).toEqual(keys.slice(0, 10));
    let seed = 1;
    const random = () => {
      seed = (seed * 16807) % 2147483647;
      return seed / 2147483647;
    };
    const sample = await sampleKeys(store, { prefix: '', limit: 1000, sample: 10, random });
    expect(sample).toHaveLength(10);
    expect(new Set(sample).size).toBe(10);
    expect(sample.every((k) => keys.includes(k))).toBe(true);
    expect(sample).not.toEqual(keys.slice(0, 10)); // the reservoir replaced early keys
  });
});
