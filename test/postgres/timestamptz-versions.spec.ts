import { describe, expect, it } from 'vitest';
import { loadVersionedByTimestamptz } from '../../src/postgres/index.js';
import { usePgFixture } from './pg-fixture.js';

/** ISO text for microseconds since the epoch, built with integer arithmetic only. */
function isoFromMicros(micros: bigint): string {
  const seconds = micros / 1_000_000n;
  const fraction = (micros % 1_000_000n).toString().padStart(6, '0');
  return `${new Date(Number(seconds) * 1000).toISOString().slice(0, 19)}.${fraction}Z`;
}

describe('timestamptz versions', () => {
  const fx = usePgFixture();

  it('are exact microseconds, also where double arithmetic rounds the wrong way', async () => {
    await fx.pool.query(`CREATE TABLE events (id int PRIMARY KEY, updated_at timestamptz NOT NULL, body text)`);
    // Values whose epoch seconds are not exact doubles; a deterministic spread of microsecond fractions.
    const micros = [1714979289123456n, 1714979289999999n, 1714979289000001n, 253402300799999999n, 0n, 1n];
    for (let i = 0; i < 200; i++)
      micros.push(1_600_000_000_000_000n + BigInt(i) * 7_919_999_977n + BigInt((i * 104_729) % 1_000_000));
    await fx.pool.query(
      `INSERT INTO events SELECT i, ts::timestamptz, 'e' || i FROM unnest($1::text[]) WITH ORDINALITY AS u(ts, i)`,
      [micros.map(isoFromMicros)],
    );
    // The session time zone must not matter.
    const client = await fx.connect();
    await client.query(`SET TIME ZONE 'Asia/Kathmandu'`);

    const wrongByDouble = await client.query(
      `SELECT count(*)::int AS n FROM events WHERE floor(extract(epoch from updated_at)::float8 * 1000000)::bigint <> (extract(epoch from updated_at) * 1000000)::bigint`,
    );
    expect(wrongByDouble.rows[0].n).toBeGreaterThan(0); // the hazard is real on these values

    for (const [i, expected] of micros.entries()) {
      const loaded = await loadVersionedByTimestamptz<string>(
        client,
        `SELECT body, updated_at FROM events WHERE id = $1`,
        [i + 1],
        {
          timestampColumn: 'updated_at',
          valueColumn: 'body',
        },
      );
      expect(loaded).toEqual({ value: `e${i + 1}`, timestamp: expected });
    }
  });
});
