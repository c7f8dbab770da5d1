import { describe, expect, it } from 'vitest';
import { InvalidTimestampError, MalformedLoaderResultError } from '../../src/errors.js';
import { ensureVersionColumn, loadVersioned, updateVersioned } from '../../src/postgres/index.js';
import { usePgFixture } from './pg-fixture.js';

describe('versions from the trigger', () => {
  const fx = usePgFixture();

  it('strictly increase per row in commit order: 8 connections × 50 updates of one row', async () => {
    await fx.pool.query(`CREATE TABLE counters (id int PRIMARY KEY, n int NOT NULL)`);
    await ensureVersionColumn(fx.pool, { table: 'counters' });
    await fx.pool.query(`INSERT INTO counters VALUES (1, 0)`);
    const clients = await Promise.all(Array.from({ length: 8 }, () => fx.connect()));

    // n = n + 1 under the row lock: n is the commit order of the updates.
    const seen: { n: number; version: bigint }[] = [];
    await Promise.all(
      clients.map(async (client) => {
        for (let i = 0; i < 50; i++) {
          const r = await updateVersioned<number>(
            client,
            `UPDATE counters SET n = n + 1 WHERE id = 1 RETURNING n, cache_version`,
            [],
            { valueColumn: 'n' },
          );
          seen.push({ n: r!.value, version: r!.timestamp });
        }
      }),
    );

    expect(seen).toHaveLength(400);
    expect(new Set(seen.map((s) => s.version)).size).toBe(400);
    const byCommit = [...seen].sort((a, b) => a.n - b.n);
    expect(byCommit.map((s) => s.n)).toEqual(Array.from({ length: 400 }, (_, i) => i + 1));
    for (let i = 1; i < byCommit.length; i++) expect(byCommit[i]!.version).toBeGreaterThan(byCommit[i - 1]!.version);
    const final = await loadVersioned<number>(fx.pool, `SELECT n, cache_version FROM counters WHERE id = 1`, [], {
      valueColumn: 'n',
    });
    expect(final).toEqual({ value: 400, timestamp: byCommit[399]!.version });
  });

  it('round-trip 2^63-1 exactly, whatever type parser pg has for int8', async () => {
    await fx.pool.query(`CREATE TABLE big (id int PRIMARY KEY, v text)`);
    await ensureVersionColumn(fx.pool, { table: 'big' });
    await fx.pool.query(`INSERT INTO big VALUES (1, 'a')`);
    await fx.pool.query(`ALTER SEQUENCE big_cache_version_seq RESTART WITH 9223372036854775806`);
    const client = await fx.connect();
    // A lossy global-style parser on this connection must not matter: the helper reads text.
    client.setTypeParser(20, (text: string) => Number(text));
    expect((await updateVersioned(client, `UPDATE big SET v = 'b' WHERE id = 1 RETURNING *`))!.timestamp).toBe(
      9223372036854775806n,
    );
    const updated = await updateVersioned(client, `UPDATE big SET v = 'c' WHERE id = 1 RETURNING *`);
    expect(updated).toEqual({ value: { id: 1, v: 'c' }, timestamp: 9223372036854775807n });
    expect(await loadVersioned(client, `SELECT * FROM big WHERE id = $1;`, [1])).toEqual({
      value: { id: 1, v: 'c' },
      timestamp: 2n ** 63n - 1n,
    });
    // The sequence is exhausted: the update fails rather than reusing a version.
    await expect(fx.pool.query(`UPDATE big SET v = 'd' WHERE id = 1`)).rejects.toThrow(/reached maximum value/);
  });

  it('loads nothing as undefined, refuses several rows, NULL and negative versions', async () => {
    await fx.pool.query(`CREATE TABLE loose (id int, cache_version bigint)`);
    await fx.pool.query(`INSERT INTO loose VALUES (1, NULL), (2, -5), (3, 7), (3, 8)`);
    expect(await loadVersioned(fx.pool, `SELECT * FROM loose WHERE id = 99`)).toBeUndefined();
    await expect(loadVersioned(fx.pool, `SELECT * FROM loose WHERE id = 1`)).rejects.toThrow(InvalidTimestampError);
    await expect(loadVersioned(fx.pool, `SELECT * FROM loose WHERE id = 2`)).rejects.toThrow(/must not be negative/);
    const many = await loadVersioned(fx.pool, `SELECT * FROM loose WHERE id = 3`, [], { key: 'loose:3' }).catch(
      (e: unknown) => e,
    );
    expect(many).toBeInstanceOf(MalformedLoaderResultError);
    expect((many as MalformedLoaderResultError).key).toBe('loose:3');
    expect((many as Error).message).toMatch(/returned 2 rows/);
    const mapped = await loadVersioned(
      fx.pool,
      `SELECT id, cache_version AS ver FROM loose WHERE cache_version = 8`,
      [],
      {
        versionColumn: 'ver',
        map: (row) => `id=${String(row.id)} keys=${Object.keys(row).join(',')}`,
      },
    );
    expect(mapped).toEqual({ value: 'id=3 keys=id,ver', timestamp: 8n });
  });
});
