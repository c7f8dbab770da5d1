import { describe, expect, it } from 'vitest';
import { ConnectionError, ForeignEntryError } from '../../src/errors.js';
import type { ServingEntry } from '../../src/redis/entry.js';
import type { RowLookup, RowVersionSource } from '../../src/verify/row-version.js';
import { type ServingReader, verifyConsistency } from '../../src/verify/verify-consistency.js';

// A first look that fails (Redis or PostgreSQL) used to reject the whole run: one bad key and
// nothing was reported. Each such key is unverified now, and the run classifies the others.
const value = (timestamp: bigint): ServingEntry<unknown> => ({
  kind: 'value',
  key: 'k',
  timestamp,
  expiresAt: 0,
  isFresh: true,
  value: 1,
});

/** Every key's entry and row at version 5, except the keys told to fail (or be foreign). */
function fakes(failing: { cache?: string[]; foreign?: string[]; row?: string[]; batch?: boolean }) {
  const cache: ServingReader = {
    readForServing: async (key) => {
      if (failing.cache?.includes(key)) throw new ConnectionError('redis', 'Redis did not answer');
      if (failing.foreign?.includes(key)) throw new ForeignEntryError(key, 'not ours');
      return value(5n);
    },
  };
  const read = async (key: string): Promise<RowLookup | undefined> => {
    if (failing.row?.includes(key)) throw new Error('connection terminated unexpectedly');
    return { version: 5n };
  };
  const rows: RowVersionSource = { description: 'fake', read };
  if (failing.batch) {
    rows.readMany = async () => {
      throw new Error('canceling statement due to statement timeout');
    };
  }
  return { cache, rows };
}

describe('verifyConsistency: a first look that fails', () => {
  it('reports a key whose cache read failed as unverified and classifies the others', async () => {
    const report = await verifyConsistency({ ...fakes({ cache: ['b'] }), keys: ['a', 'b', 'c'], concurrency: 1 });
    expect(report.unverified).toEqual([
      { key: 'b', look: 'first', databaseVersion: undefined, ageMs: 0, error: 'Redis did not answer' },
    ]);
    expect(report).toMatchObject({ comparisons: 2, consistent: 2, violations: [] });
    expect(report.nines.comparisons).toBe(2);
  });

  it('reports a key whose row read failed as unverified', async () => {
    const report = await verifyConsistency({ ...fakes({ row: ['a'] }), keys: ['a', 'b'] });
    expect(report.unverified).toEqual([expect.objectContaining({ key: 'a', look: 'first' })]);
    expect(report.unverified[0]!.error).toMatch(/connection terminated/);
    expect(report).toMatchObject({ comparisons: 1, consistent: 1 });
  });

  it('a failed batch SELECT makes its keys unverified; a foreign entry is still a violation', async () => {
    const report = await verifyConsistency({
      ...fakes({ batch: true, cache: ['b'], foreign: ['c'] }),
      keys: ['a', 'b', 'c', 'd'],
      batchSize: 4,
    });
    expect(report.unverified.map((u) => u.key).sort()).toEqual(['a', 'b', 'd']);
    expect(report.unverified.find((u) => u.key === 'a')!.error).toMatch(/statement timeout/);
    expect(report.unverified.find((u) => u.key === 'b')!.error).toMatch(/Redis did not answer/);
    expect(report.violations).toEqual([expect.objectContaining({ key: 'c', kind: 'foreign' })]);
    expect(report.comparisons).toBe(1);
  });
});
