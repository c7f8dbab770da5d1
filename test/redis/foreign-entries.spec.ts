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

// Issue 18, item 6: a marked hash that is malformed in any one field is refused by every write
// (the script checks the whole shape first) and every read, and left exactly as it was.
describe('an entry malformed in one field is refused by reads and writes alike', () => {
  const fx = useRedisFixture();
  const shapes: [string, (rk: string) => Promise<unknown>, RegExp][] = [
    ['an exp of 16 digits', (rk) => fx.redis.hset(rk, 'exp', '1234567890123456'), /malformed (expiry|time) field exp/],
    ['at = x', (rk) => fx.redis.hset(rk, 'at', 'x'), /malformed time fields at\/ret/],
    ['no ret', (rk) => fx.redis.hdel(rk, 'ret'), /malformed time fields at\/ret/],
    ['no by', (rk) => fx.redis.hdel(rk, 'by'), /no writer field by/],
    ['a v that is not JSON', (rk) => fx.redis.hset(rk, 'v', '{not json'), /does not decode with codec json/],
    ['no v', (rk) => fx.redis.hdel(rk, 'v'), /no value field v/],
    ['a ts above 2^63-1', (rk) => fx.redis.hset(rk, 'ts', '9999999999999999999'), /malformed timestamp field ts/],
  ];

  it.each(shapes)('%s', async (what, corrupt, detail) => {
    const store = fx.store();
    const key = `shape-${what}`;
    const rk = store.redisKeyOf(key);
    expect((await store.write(key, { price: 1 }, 5)).status).toBe('written');
    await fx.redis.persist(rk); // foreign data often has no TTL; it must keep none
    await corrupt(rk);
    const before = await fx.redis.hgetall(rk);
    await expectForeign(store.write(key, { price: 2 }, 9_000_000_000_000_000_000n), rk, detail);
    await expectForeign(store.writeMissing(key, 9_000_000_000_000_000_000n), rk, detail);
    await expectForeign(store.invalidate(key, 9_000_000_000_000_000_000n), rk, detail);
    // the hit path reads all eight fields and refuses exactly what the script refuses
    await expectForeign(store.readForServing(key), rk, detail);
    await expectForeign(store.read(key), rk, detail);
    expect(await fx.redis.hgetall(rk)).toEqual(before);
    expect(await fx.redis.pttl(rk)).toBe(-1);
  });

  it('the buffer codec cannot be checked by the script, but a missing v is still refused', async () => {
    const store = fx.store<Buffer>({ codec: (await import('../../src/codec/index.js')).bufferCodec });
    const rk = store.redisKeyOf('raw');
    expect((await store.write('raw', Buffer.from([0xff, 0x00]), 5)).status).toBe('written');
    expect((await store.read('raw'))?.kind).toBe('value');
    await fx.redis.hdel(rk, 'v');
    await expectForeign(store.write('raw', Buffer.from('x'), 6), rk, /no value field v/);
    await expectForeign(store.readForServing('raw'), rk, /no value field v/);
  });

  it('our own entries still order as before after the stricter checks (tombstone, missing, value)', async () => {
    const store = fx.store();
    expect((await store.invalidate('own', 3)).status).toBe('written');
    expect((await store.writeMissing('own', 4)).status).toBe('written');
    expect((await store.write('own', 'v', 9_223_372_036_854_775_807n)).status).toBe('written');
    expect((await store.write('own', 'w', 9_223_372_036_854_775_806n)).status).toBe('stale');
    expect((await store.read('own'))?.timestamp).toBe(9_223_372_036_854_775_807n);
  });
});
