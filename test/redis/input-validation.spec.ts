import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { bufferCodec } from '../../src/codec/index.js';
import { InvalidKeyError, InvalidOptionsError, InvalidTimestampError, InvalidValueError } from '../../src/errors.js';
import { OrderedStore } from '../../src/redis/index.js';
import { useRedisFixture } from './redis-fixture.js';

const cyclic: Record<string, unknown> = {};
cyclic.self = cyclic;

describe('bad input gets a typed error and nothing is written', () => {
  const fx = useRedisFixture();

  const cases: [string, (store: OrderedStore<unknown>) => Promise<unknown>, new (...args: never[]) => Error, RegExp][] =
    [
      ['empty key', (s) => s.write('', 1, 1), InvalidKeyError, /key must not be empty/],
      [
        'key over 1024 bytes',
        (s) => s.write('é'.repeat(513), 1, 1),
        InvalidKeyError,
        /1026 UTF-8 bytes; the limit is 1024/,
      ],
      ['key with a lone surrogate', (s) => s.invalidate('a\uD800', 1), InvalidKeyError, /lone UTF-16 surrogate/],
      ['non-string key', (s) => s.read(42 as unknown as string), InvalidKeyError, /must be a string/],
      ['negative timestamp', (s) => s.write('k', 1, -1), InvalidTimestampError, /must not be negative/],
      ['fractional timestamp', (s) => s.writeMissing('k', 1.5), InvalidTimestampError, /must be an integer/],
      ['NaN timestamp', (s) => s.write('k', 1, Number.NaN), InvalidTimestampError, /NaN/],
      ['unsafe number timestamp', (s) => s.write('k', 1, 2 ** 53), InvalidTimestampError, /MAX_SAFE_INTEGER/],
      ['timestamp above 2^63-1', (s) => s.write('k', 1, 2n ** 63n), InvalidTimestampError, /above the maximum 2\^63-1/],
      [
        'string timestamp above 2^63-1',
        (s) => s.invalidate('k', '9223372036854775808'),
        InvalidTimestampError,
        /above the maximum/,
      ],
      ['non-digit timestamp', (s) => s.write('k', 1, '12a'), InvalidTimestampError, /decimal digits only/],
      ['undefined value', (s) => s.write('k', undefined, 1), InvalidValueError, /must not be undefined/],
      ['BigInt inside a value', (s) => s.write('k', { id: 1n }, 1), InvalidValueError, /property "id" is a BigInt/],
      ['cyclic value', (s) => s.write('k', cyclic, 1), InvalidValueError, /not JSON-encodable/],
      [
        'value over maxValueBytes',
        (s) => s.write('k', 'x'.repeat(5000), 1),
        InvalidValueError,
        /5002 bytes \(codec json\); the limit is maxValueBytes=4096/,
      ],
      [
        'per-write ttlMs of 0',
        (s) => s.write('k', 1, 1, { ttlMs: 0 }),
        InvalidOptionsError,
        /options\.ttlMs must be a whole number of ms from 1/,
      ],
    ];

  it.each(cases)('%s', async (_what, call, ErrorClass, message) => {
    const store = fx.store({ maxValueBytes: 4096 });
    await store.write('k', 'original', 3);
    const before = await fx.redis.hgetall(store.redisKeyOf('k'));
    const dbsize = await fx.redis.dbsize();

    const err = await call(store).then(
      () => undefined,
      (e: unknown) => e,
    );

    expect(err).toBeInstanceOf(ErrorClass);
    expect((err as Error).message).toMatch(message);
    expect(await fx.redis.dbsize()).toBe(dbsize);
    expect(await fx.redis.hgetall(store.redisKeyOf('k'))).toEqual(before);
  });

  it('the buffer codec rejects non-bytes before any command', async () => {
    const store = fx.store<Buffer>({ codec: bufferCodec, namespace: 'bytes' });
    const dbsize = await fx.redis.dbsize();
    await expect(store.write('k', 'text' as unknown as Buffer, 1)).rejects.toThrow(InvalidValueError);
    expect(await fx.redis.dbsize()).toBe(dbsize);
    expect(await store.write('k', Buffer.from([0, 255, 128]), 1)).toEqual({ status: 'written', current: 1n });
    const entry = await store.read('k');
    expect(entry?.kind === 'value' && [...entry.value]).toEqual([0, 255, 128]);
  });

  it.each([
    ['a bad namespace', { namespace: 'a b' }, /options\.namespace must be 1-128 characters/],
    ['a namespace starting with a dot', { namespace: '.x' }, /options\.namespace/],
    [
      'ttlMs 0',
      { namespace: 'n', ttlMs: 0 },
      /options\.ttlMs must be a whole number of ms from 1 to \d+ \(100 years\), got number 0/,
    ],
    ['fractional retentionMs', { namespace: 'n', retentionMs: 1.5 }, /options\.retentionMs/],
    ['ttlMs over 100 years', { namespace: 'n', ttlMs: 1e13 }, /100 years/],
    [
      'maxValueBytes 0',
      { namespace: 'n', maxValueBytes: 0 },
      /options\.maxValueBytes must be a whole number of bytes from 1/,
    ],
    ['a writer label over 256 bytes', { namespace: 'n', writerLabel: 'w'.repeat(257) }, /options\.writerLabel/],
    ['a codec without decode', { namespace: 'n', codec: { name: 'x', encode: () => '' } }, /options\.codec/],
  ])('the constructor rejects %s with InvalidOptionsError', (_what, options, message) => {
    const build = () => new OrderedStore(fx.redis, options as never);
    expect(build).toThrow(InvalidOptionsError);
    expect(build).toThrow(message);
  });

  it('the constructor rejects a client with keyPrefix', () => {
    const prefixed = new Redis(fx.stack.redis.url, { keyPrefix: 'p:', lazyConnect: true });
    try {
      expect(() => new OrderedStore(prefixed, { namespace: 'n' })).toThrow(/keyPrefix/);
    } finally {
      prefixed.disconnect();
    }
  });

  it('prepared writes (prepareWrite / prepareWriteMissing / prepareInvalidate) validate up front and send nothing until run()', async () => {
    const store = fx.store<string>({ maxValueBytes: 16 });
    const dbsize = await fx.redis.dbsize();
    expect(() => store.prepareWrite('p', 'x'.repeat(100), 1)).toThrow(InvalidValueError);
    expect(() => store.prepareWriteMissing('', 1)).toThrow(InvalidKeyError);
    expect(() => store.prepareInvalidate('p', -1)).toThrow(InvalidTimestampError);

    const write = store.prepareWrite('p', 'v', '007');
    const missing = store.prepareWriteMissing('q', 4n);
    const tomb = store.prepareInvalidate('p', 9);
    expect([write.timestamp, missing.timestamp, tomb.timestamp]).toEqual(['7', '4', '9']);
    expect(await fx.redis.dbsize()).toBe(dbsize);

    expect(await write.run()).toEqual({ status: 'written', current: 7n });
    expect(await missing.run()).toEqual({ status: 'written', current: 4n });
    expect(await tomb.run()).toEqual({ status: 'written', current: 9n });
    expect(await write.run()).toEqual({ status: 'stale', current: 9n });
    expect(await store.read('q')).toMatchObject({ kind: 'missing', timestamp: 4n });
  });
});
