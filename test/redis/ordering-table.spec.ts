import { describe, expect, it } from 'vitest';
import type { OrderedStore } from '../../src/redis/index.js';
import { useRedisFixture } from './redis-fixture.js';

type Kind = 'value' | 'tombstone' | 'missing';

// docs/design.md "Ordering rules", row by row; missing orders like a value.
const TABLE: {
  stored?: [Kind, bigint];
  incoming: [Kind, bigint];
  status: 'written' | 'duplicate' | 'stale';
  current: bigint;
}[] = [
  { incoming: ['value', 5n], status: 'written', current: 5n },
  { stored: ['value', 5n], incoming: ['value', 6n], status: 'written', current: 6n },
  { stored: ['value', 5n], incoming: ['value', 5n], status: 'duplicate', current: 5n },
  { stored: ['value', 5n], incoming: ['value', 4n], status: 'stale', current: 5n },
  { stored: ['tombstone', 5n], incoming: ['value', 5n], status: 'written', current: 5n },
  { stored: ['tombstone', 5n], incoming: ['value', 6n], status: 'written', current: 6n },
  { stored: ['tombstone', 5n], incoming: ['value', 4n], status: 'stale', current: 5n },
  { incoming: ['tombstone', 5n], status: 'written', current: 5n },
  { stored: ['value', 5n], incoming: ['tombstone', 6n], status: 'written', current: 6n },
  { stored: ['value', 5n], incoming: ['tombstone', 5n], status: 'stale', current: 5n },
  { stored: ['value', 5n], incoming: ['tombstone', 4n], status: 'stale', current: 5n },
  { stored: ['tombstone', 5n], incoming: ['tombstone', 6n], status: 'written', current: 6n },
  { stored: ['tombstone', 5n], incoming: ['tombstone', 5n], status: 'duplicate', current: 5n },
  { stored: ['tombstone', 5n], incoming: ['tombstone', 4n], status: 'stale', current: 5n },
  { stored: ['missing', 5n], incoming: ['tombstone', 6n], status: 'written', current: 6n },
  { stored: ['missing', 5n], incoming: ['tombstone', 5n], status: 'stale', current: 5n },
  { incoming: ['missing', 5n], status: 'written', current: 5n },
  { stored: ['missing', 5n], incoming: ['value', 6n], status: 'written', current: 6n },
  { stored: ['missing', 5n], incoming: ['value', 5n], status: 'duplicate', current: 5n },
  { stored: ['missing', 5n], incoming: ['value', 4n], status: 'stale', current: 5n },
  { stored: ['value', 5n], incoming: ['missing', 6n], status: 'written', current: 6n },
  { stored: ['value', 5n], incoming: ['missing', 5n], status: 'duplicate', current: 5n },
  { stored: ['value', 5n], incoming: ['missing', 4n], status: 'stale', current: 5n },
  { stored: ['tombstone', 5n], incoming: ['missing', 5n], status: 'written', current: 5n },
  { stored: ['tombstone', 5n], incoming: ['missing', 4n], status: 'stale', current: 5n },
  // Length before lexical order: "10" > "9" although "1" < "9".
  { stored: ['value', 9n], incoming: ['value', 10n], status: 'written', current: 10n },
  { stored: ['value', 10n], incoming: ['value', 9n], status: 'stale', current: 10n },
];

function put(store: OrderedStore<string>, key: string, kind: Kind, ts: bigint) {
  if (kind === 'value') return store.write(key, `v@${ts}`, ts);
  if (kind === 'missing') return store.writeMissing(key, ts);
  return store.invalidate(key, ts);
}

describe('compare script: the ordering table', () => {
  const fx = useRedisFixture();

  it.each(TABLE.map((row, i) => ({ ...row, i })))(
    'row $i: stored $stored, incoming $incoming → $status',
    async ({ stored, incoming, status, current, i }) => {
      const store = fx.store<string>();
      const key = `row-${i}`;
      if (stored) expect((await put(store, key, stored[0], stored[1])).status).toBe('written');
      const before = await store.read(key);

      const result = await put(store, key, incoming[0], incoming[1]);

      expect(result).toEqual({ status, current });
      const after = await store.read(key);
      expect(after?.timestamp).toBe(current);
      if (status === 'written') {
        expect(after?.kind).toBe(incoming[0]);
        if (incoming[0] === 'value') expect(after).toMatchObject({ kind: 'value', value: `v@${incoming[1]}` });
      } else {
        // Rejected writes change nothing, not even the write time.
        expect(after).toEqual(before);
      }
    },
  );

  it('compares exactly around 2^53 and up to 2^63-1 (never as doubles)', async () => {
    const store = fx.store<string>();
    const key = 'big';
    const p53 = 2n ** 53n;
    expect(await store.write(key, 'a', p53 - 1n)).toEqual({ status: 'written', current: p53 - 1n });
    expect(await store.write(key, 'b', p53)).toEqual({ status: 'written', current: p53 });
    expect(await store.write(key, 'c', p53 + 1n)).toEqual({ status: 'written', current: p53 + 1n });
    // As doubles 2^53 == 2^53+1, which would make this a duplicate.
    expect(await store.write(key, 'd', p53)).toEqual({ status: 'stale', current: p53 + 1n });
    expect(await store.write(key, 'e', '9223372036854775806')).toEqual({
      status: 'written',
      current: 9223372036854775806n,
    });
    expect(await store.write(key, 'f', 2n ** 63n - 1n)).toEqual({ status: 'written', current: 2n ** 63n - 1n });
    expect(await store.write(key, 'g', 9223372036854775806n)).toEqual({ status: 'stale', current: 2n ** 63n - 1n });
    expect(await store.invalidate(key, 2n ** 63n - 1n)).toEqual({ status: 'stale', current: 2n ** 63n - 1n });
    const entry = await store.read(key);
    expect(entry).toMatchObject({ kind: 'value', value: 'f', timestamp: 9223372036854775807n });
    expect(await fx.redis.hget(store.redisKeyOf(key), 'ts')).toBe('9223372036854775807');
  });

  it('orders every pair of equal-length timestamps that differ in one digit, at every length and position', async () => {
    // The script compares equal-length timestamps in two pieces split 9 digits from the end:
    // a difference on either side of the split, and at its edges, must order as bigint does.
    const store = fx.store<string>();
    let seed = 7;
    const digit = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % 10;
    };
    const mismatches: string[] = [];
    for (let length = 1; length <= 19; length++) {
      for (let position = 0; position < length; position++) {
        const digits = Array.from({ length }, (_, i) => (i === 0 ? 1 + (digit() % 8) : digit()));
        const lower = digits.join('');
        digits[position] = digits[position]! + 1 <= 9 ? digits[position]! + 1 : 0;
        const other = digits.join('');
        const [older, newer] = BigInt(lower) < BigInt(other) ? [lower, other] : [other, lower];
        const key = `pair:${length}:${position}`;
        const first = await store.write(key, 'newer', newer);
        const second = await store.write(key, 'older', older);
        const third = await store.write(`${key}:up`, 'older', older);
        const fourth = await store.write(`${key}:up`, 'newer', newer);
        const got = [first.status, second.status, third.status, fourth.status].join(',');
        if (got !== 'written,stale,written,written') mismatches.push(`${older} vs ${newer}: ${got}`);
      }
    }
    expect(mismatches).toEqual([]);
  });

  it('accepts number, bigint and decimal-string timestamps, stored canonically', async () => {
    const store = fx.store<string>();
    expect(await store.write('forms', 'a', 7)).toEqual({ status: 'written', current: 7n });
    expect(await store.write('forms', 'b', '0007')).toEqual({ status: 'duplicate', current: 7n });
    expect(await store.write('forms', 'c', '08')).toEqual({ status: 'written', current: 8n });
    expect(await fx.redis.hget(store.redisKeyOf('forms'), 'ts')).toBe('8');
    expect(await store.write('zero', 'z', 0)).toEqual({ status: 'written', current: 0n });
    expect(await store.write('zero', 'z', 0n)).toEqual({ status: 'duplicate', current: 0n });
  });
});
