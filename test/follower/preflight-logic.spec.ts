import type pg from 'pg';
import { describe, expect, it } from 'vitest';
import { WalLevelError } from '../../src/errors.js';
import { formatLsn, parseLsn } from '../../src/postgres/follower/lsn.js';
import { checkDatabase } from '../../src/postgres/follower/preflight.js';

// The harness's PostgreSQL runs with wal_level=logical and cannot be switched without another
// cluster, so the refusal itself is checked against a canned `SHOW wal_level` answer (pure logic).
describe('preflight logic', () => {
  it('refuses wal_level=replica with a typed error naming the setting and how to change it', async () => {
    const db = { query: async () => ({ rows: [{ wal_level: 'replica' }] }) } as unknown as pg.Pool;
    const error = await checkDatabase(db, []).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(WalLevelError);
    expect(error).toMatchObject({
      code: 'E_WAL_LEVEL',
      walLevel: 'replica',
      message: expect.stringContaining('ALTER SYSTEM SET wal_level = logical'),
    });
  });

  it('LSNs round-trip and compare as numbers', () => {
    expect(formatLsn(parseLsn('16/B374D848'))).toBe('16/B374D848');
    expect(parseLsn('1/0') > parseLsn('0/FFFFFFFF')).toBe(true);
    expect(() => parseLsn('nope')).toThrow(RangeError);
  });
});
