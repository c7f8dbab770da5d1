import fc from 'fast-check';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OrderedCache } from '../../src/cache/ordered-cache.js';
import { MAX_KEY_BYTES } from '../../src/core/key.js';
import { ZkocError } from '../../src/errors.js';
import type { StartedStack } from '../../src/testing/index.js';
import { openCache, rawRedis } from '../cache/fixture.js';
import { startTestStack } from '../support/stack.js';

const MAX_TS = 2n ** 63n - 1n;

// Pieces a hostile or careless caller puts in keys: a BOM, escapes, C1, glob and path characters,
// a credential-looking URL, a lone surrogate (refused), an over-long tail (refused).
const keyPiece = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 12 }),
  fc.constantFrom('\uFEFF', '\u001b[2J', '\u009b', '\u007f', '*?[', '/../', 'x://u:p@h', '{tag}', '%41', '\ud800', ' '),
  fc.constant('k'.repeat(MAX_KEY_BYTES + 1)),
);
const keyTail = fc.array(keyPiece, { maxLength: 3 }).map((parts) => parts.join(''));

const timestamp = fc.oneof(
  fc.bigInt({ min: -3n, max: 2n ** 64n }),
  fc.constantFrom(0n, 2n ** 53n + 1n, MAX_TS - 1n, MAX_TS, MAX_TS + 1n),
  fc.integer({ min: -5, max: 2 ** 31 }),
  fc.constantFrom(2 ** 53, 0.5, Number.NaN),
);

const value = fc.oneof(
  { weight: 6, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
  {
    weight: 1,
    arbitrary: fc.constantFrom<() => unknown>(
      () => undefined,
      () => new Map([[1, 2]]),
      () => new Date(Number.NaN),
      () => ({ n: 10n }),
      () => Number.POSITIVE_INFINITY,
      () => new Set(),
    ),
  },
);

function keyIsValid(key: string): boolean {
  return key.isWellFormed() && Buffer.byteLength(key, 'utf8') <= MAX_KEY_BYTES;
}

function timestampIsValid(ts: bigint | number): boolean {
  if (typeof ts === 'bigint') return ts >= 0n && ts <= MAX_TS;
  return Number.isSafeInteger(ts) && ts >= 0;
}

// Issue 18: over keys, timestamps and values against real servers, set → peek, scan and locks
// round-trip exactly, or the call fails with a typed error and writes nothing.
describe('property: set round-trips exactly through peek, scan and locks, or is refused with nothing written', () => {
  let stack: StartedStack;
  let cache: OrderedCache<unknown>;
  let redis: Redis;

  beforeAll(async () => {
    stack = await startTestStack();
    cache = await openCache(stack, { lockTimeoutMs: 3_000 });
    redis = await rawRedis(stack);
  });
  afterAll(async () => {
    redis?.disconnect();
    await cache?.close();
    await stack?.stop();
  });

  it('holds for 120 generated cases (seed 2026)', async () => {
    let run = 0;
    let written = 0;
    let refused = 0;
    await fc.assert(
      fc.asyncProperty(keyTail, timestamp, value, async (tail, ts, generated) => {
        // A per-case prefix of plain characters: scan(prefix) must then find exactly this key.
        const prefix = `case${++run}-`;
        const key = prefix + tail;
        const input = typeof generated === 'function' ? (generated as () => unknown)() : generated;
        const valid = keyIsValid(key) && timestampIsValid(ts) && typeof generated !== 'function';
        const keysBefore = await redis.dbsize();
        let outcome: unknown;
        try {
          outcome = await cache.set(key, input, ts);
        } catch (error) {
          outcome = error;
        }
        const scanned: string[] = [];
        for await (const k of cache.store.scan(prefix)) scanned.push(k);
        if (!valid) {
          refused++;
          expect(outcome).toBeInstanceOf(ZkocError);
          expect(scanned).toEqual([]);
          expect(await redis.dbsize()).toBe(keysBefore);
          return;
        }
        written++;
        expect(outcome).toMatchObject({ status: 'written', current: BigInt(ts) });
        expect(scanned).toEqual([key]);
        const entry = await cache.peek(key);
        expect(entry).toMatchObject({ key, kind: 'value', timestamp: BigInt(ts) });
        expect((entry as { value: unknown }).value).toEqual(JSON.parse(JSON.stringify(input)));
        const listed = await cache.withLock(key, async () => (await cache.locks.list()).map((l) => l.key));
        expect(listed).toContain(key);
      }),
      { numRuns: 120, seed: 2026, endOnFailure: true },
    );
    // both branches were exercised
    expect(written).toBeGreaterThan(20);
    expect(refused).toBeGreaterThan(10);
    expect(await cache.locks.list()).toEqual([]);
  }, 120_000);
});
