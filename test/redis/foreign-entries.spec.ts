import { describe, expect, it } from 'vitest';
import { ForeignEntryError } from '../../src/errors.js';
import { useRedisFixture } from './redis-fixture.js';

async function expectForeign(promise: Promise<unknown>, redisKey: string, detail: RegExp): Promise<void> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ForeignEntryError);
  expect((err as ForeignEntryError).code).toBe('E_FOREIGN_ENTRY');
  expect((err as ForeignEntryError).redisKey).toBe(redisKey);
  expect((err as Error).message).toMatch(detail);
}

describe('foreign data under an entry key is reported and left untouched', () => {
  const fx = useRedisFixture();

  it('a string key', async () => {
    const store = fx.store();
    const rk = store.redisKeyOf('str');
    await fx.redis.set(rk, 'someone else', 'PX', 600_000);
    await expectForeign(store.write('str', 1, 5), rk, /a Redis string, not a hash/);
    await expectForeign(store.writeMissing('str', 5), rk, /not a hash/);
    await expectForeign(store.invalidate('str', 5), rk, /not a hash/);
    await expectForeign(store.read('str'), rk, /not a hash/);
    expect(await fx.redis.get(rk)).toBe('someone else');
    expect(await fx.redis.pttl(rk)).toBeGreaterThan(500_000);
  });

  it('a list key', async () => {
    const store = fx.store();
    const rk = store.redisKeyOf('list');
    await fx.redis.rpush(rk, 'x', 'y');
    await expectForeign(store.write('list', 1, 5), rk, /a Redis list, not a hash/);
    await expectForeign(store.invalidate('list', 5), rk, /a Redis list/);
    await expectForeign(store.read('list'), rk, /not a hash/);
    expect(await fx.redis.lrange(rk, 0, -1)).toEqual(['x', 'y']);
    expect(await fx.redis.pttl(rk)).toBe(-1);
  });

  it('a hash without our marker (writes refuse; a read sees it as soon as it shares a field name)', async () => {
    const store = fx.store();
    const rk = store.redisKeyOf('hash');
    await fx.redis.hset(rk, { foo: 'bar' });
    await expectForeign(store.write('hash', 1, 5), rk, /hash without the zkoc marker/);
    await expectForeign(store.invalidate('hash', 9), rk, /hash without the zkoc marker/);
    // One HMGET on the hit path cannot tell a hash of unrelated fields from an absent key.
    expect(await store.read('hash')).toBeUndefined();
    await fx.redis.hset(rk, { v: 'theirs', ts: '3' });
    await expectForeign(store.read('hash'), rk, /hash without the zkoc marker/);
    expect(await fx.redis.hgetall(rk)).toEqual({ foo: 'bar', v: 'theirs', ts: '3' });
    expect(await fx.redis.pttl(rk)).toBe(-1);
  });

  it.each([
    ['another format version', { zkoc: '2', k: 'v', ts: '5', exp: '1', v: '1' }, /entry format 2, expected 1/],
    ['a malformed kind', { zkoc: '1', k: 'x', ts: '5', exp: '1', v: '1' }, /malformed kind/],
    ['a non-digit timestamp', { zkoc: '1', k: 'v', ts: '5e3', exp: '1', v: '1' }, /malformed timestamp/],
    ['a non-canonical timestamp', { zkoc: '1', k: 'v', ts: '007', exp: '1', v: '1' }, /malformed timestamp/],
    [
      'a timestamp longer than 19 digits',
      { zkoc: '1', k: 'v', ts: '12345678901234567890', exp: '1', v: '1' },
      /malformed timestamp/,
    ],
    [
      'a non-digit in a 18-character timestamp',
      { zkoc: '1', k: 'v', ts: '12345678901234567x', exp: '1', v: '1' },
      /malformed timestamp/,
    ],
    [
      'a malformed expiry',
      { zkoc: '1', k: 'v', ts: '5', exp: 'soon', v: '1' },
      /malformed expiry field exp|malformed time field exp/,
    ],
  ])('a marked hash with %s', async (_what, fields, detail) => {
    const store = fx.store();
    const key = `bad-${_what}`;
    const rk = store.redisKeyOf(key);
    await fx.redis.hset(rk, fields);
    await expectForeign(store.write(key, 1, 9_000_000_000_000_000_000n), rk, detail);
    await expectForeign(store.read(key), rk, detail);
    await expectForeign(store.readForServing(key), rk, detail);
    expect(await fx.redis.hgetall(rk)).toEqual(fields);
  });

  it('a value that does not decode with the codec is reported on read', async () => {
    const store = fx.store();
    const rk = store.redisKeyOf('undecodable');
    expect((await store.write('undecodable', { a: 1 }, 5)).status).toBe('written');
    await fx.redis.hset(rk, 'v', '{not json');
    await expectForeign(store.read('undecodable'), rk, /does not decode with codec json/);
    await expectForeign(store.readForServing('undecodable'), rk, /does not decode with codec json/);
  });
});
