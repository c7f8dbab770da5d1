import type { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { useRedisFixture } from './redis-fixture.js';

async function redisNowMs(redis: Redis): Promise<number> {
  const [sec, usec] = await redis.time();
  return Number(sec) * 1000 + Math.floor(Number(usec) / 1000);
}

/** Polls Redis TIME (bounded) until the server clock reaches `atMs`; never a blind sleep. */
async function untilRedisTime(redis: Redis, atMs: number, limitMs = 5_000): Promise<void> {
  const giveUpAt = Date.now() + limitMs;
  while ((await redisNowMs(redis)) < atMs) {
    if (Date.now() > giveUpAt) throw new Error(`Redis clock did not reach ${atMs} within ${limitMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('freshness, retention and physical TTL', () => {
  const fx = useRedisFixture();

  it('sets logical expiry from Redis TIME and PEXPIRE = ttl + retention (tombstone: retention)', async () => {
    const store = fx.store<string>({ ttlMs: 10_000, retentionMs: 50_000 });
    const t0 = await redisNowMs(fx.redis);
    await store.write('ttl', 'v', 1);
    const entry = await store.read('ttl');
    expect(entry).toBeDefined();
    expect(entry!.writtenAt).toBeGreaterThanOrEqual(t0);
    expect(entry!.expiresAt - entry!.writtenAt).toBe(10_000);
    expect(entry!.retainedUntilMs - entry!.writtenAt).toBe(60_000);
    expect(entry!.isFresh).toBe(true);
    const pttl = await fx.redis.pttl(store.redisKeyOf('ttl'));
    expect(pttl).toBeGreaterThan(59_000);
    expect(pttl).toBeLessThanOrEqual(60_000);

    await store.write('ttl-override', 'v', 1, { ttlMs: 2_000 });
    const overridden = await store.read('ttl-override');
    expect(overridden!.expiresAt - overridden!.writtenAt).toBe(2_000);
    expect(await fx.redis.pttl(store.redisKeyOf('ttl-override'))).toBeLessThanOrEqual(52_000);

    await store.invalidate('ttl', 2);
    const tomb = await store.read('ttl');
    expect(tomb).toMatchObject({ kind: 'tombstone', timestamp: 2n, isFresh: false });
    expect(tomb!.retainedUntilMs - tomb!.writtenAt).toBe(50_000);
    const tombPttl = await fx.redis.pttl(store.redisKeyOf('ttl'));
    expect(tombPttl).toBeGreaterThan(49_000);
    expect(tombPttl).toBeLessThanOrEqual(50_000);
  });

  it('after logical expiry: a lower timestamp is still stale, the same one refreshes, then it is a duplicate again', async () => {
    const store = fx.store<string>({ ttlMs: 200, retentionMs: 60_000 });
    await store.write('exp', 'at-5', 5);
    const first = await store.read('exp');
    await untilRedisTime(fx.redis, first!.expiresAt);
    // Within freshness it would be a duplicate; expired it is not fresh but its timestamp is kept.
    const expired = await store.read('exp');
    expect(expired).toMatchObject({ kind: 'value', value: 'at-5', timestamp: 5n, isFresh: false });

    expect(await store.write('exp', 'at-4', 4)).toEqual({ status: 'stale', current: 5n });
    expect(await store.invalidate('exp', 5)).toEqual({ status: 'stale', current: 5n });
    expect(await store.write('exp', 'at-5-reloaded', 5)).toEqual({ status: 'written', current: 5n });
    const refreshed = await store.read('exp');
    expect(refreshed).toMatchObject({ kind: 'value', value: 'at-5-reloaded', timestamp: 5n, isFresh: true });
    expect(refreshed!.writtenAt).toBeGreaterThanOrEqual(first!.expiresAt);
    expect(await store.write('exp', 'again', 5)).toEqual({ status: 'duplicate', current: 5n });
  });

  it('an expired missing marker is refreshed by the same timestamp too', async () => {
    const store = fx.store<string>({ ttlMs: 150, retentionMs: 60_000 });
    await store.writeMissing('gone', 7);
    const first = await store.read('gone');
    expect(await store.writeMissing('gone', 7)).toEqual({ status: 'duplicate', current: 7n });
    await untilRedisTime(fx.redis, first!.expiresAt);
    expect(await store.writeMissing('gone', 6)).toEqual({ status: 'stale', current: 7n });
    expect(await store.writeMissing('gone', 7)).toEqual({ status: 'written', current: 7n });
    expect(await store.read('gone')).toMatchObject({ kind: 'missing', timestamp: 7n, isFresh: true });
  });

  it('once retention has passed the key is gone and its timestamp forgotten (the documented limit)', async () => {
    const store = fx.store<string>({ ttlMs: 100, retentionMs: 100 });
    await store.write('forgotten', 'new', 9);
    const entry = await store.read('forgotten');
    await untilRedisTime(fx.redis, entry!.retainedUntilMs + 5);
    expect(await fx.redis.exists(store.redisKeyOf('forgotten'))).toBe(0);
    expect(await store.write('forgotten', 'old', 1)).toEqual({ status: 'written', current: 1n });
  });
});
