import type { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { OrderedCacheOptions } from '../../src/cache/options.js';
import { OrderedCache } from '../../src/cache/ordered-cache.js';
import { jsonCodec } from '../../src/codec/index.js';
import { namespaceEpochKey } from '../../src/core/namespace.js';
import {
  InvalidArgumentError,
  InvalidOptionsError,
  InvalidValueError,
  MalformedLoaderResultError,
  type ZkocError,
} from '../../src/errors.js';
import type { StartedStack } from '../../src/testing/index.js';
import { openCache, rawRedis } from '../cache/fixture.js';
import { startTestStack } from '../support/stack.js';

const throwingGetter = () =>
  Object.defineProperty({ a: 1 }, 'b', {
    enumerable: true,
    get() {
      throw new Error('getter says no');
    },
  });
const throwingProxy = () =>
  new Proxy(
    { a: 1 },
    {
      ownKeys() {
        throw new Error('trap says no');
      },
    },
  );
const invalidDate = () => new Date(Number.NaN);

// Issue 18, item 9: what JSON does not round-trip is refused, never silently changed.
const NOT_ROUND_TRIPPING: [string, () => unknown][] = [
  ['a Map', () => new Map([['a', 1]])],
  ['a Set', () => new Set([1])],
  ['a RegExp', () => /x/g],
  ['an Error', () => new Error('boom')],
  ['an invalid Date', invalidDate],
  ['a boxed string', () => new String('x')],
  [
    'a class instance',
    () =>
      new (class Point {
        x = 1;
      })(),
  ],
  ['a Map nested in an object', () => ({ list: [1, { m: new Map() }] })],
  ['an invalid Date nested in an array', () => [invalidDate()]],
];

describe('the JSON codec refuses what does not round-trip (pure)', () => {
  it.each(NOT_ROUND_TRIPPING)('%s → InvalidValueError', (_what, make) => {
    expect(() => jsonCodec.encode(make())).toThrow(InvalidValueError);
  });

  it.each([
    ['a throwing getter', throwingGetter],
    ['a Proxy whose trap throws', throwingProxy],
    [
      'a throwing toJSON',
      () => ({
        toJSON: () => {
          throw new Error('no');
        },
      }),
    ],
  ])('%s → InvalidValueError with the original as cause', (_what, make) => {
    let caught: unknown;
    try {
      jsonCodec.encode(make());
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(InvalidValueError);
    expect((caught as Error).cause).toBeInstanceOf(Error);
  });

  it('still encodes plain data, null-prototype objects, valid Dates (ISO) and Buffers exactly as before', () => {
    const bare = Object.assign(Object.create(null) as Record<string, unknown>, { a: 1 });
    expect(jsonCodec.encode({ a: [1, 'x', null, true, { b: bare }] })).toBe('{"a":[1,"x",null,true,{"b":{"a":1}}]}');
    expect(jsonCodec.encode({ when: new Date(0) })).toBe('{"when":"1970-01-01T00:00:00.000Z"}');
    expect(jsonCodec.encode(Buffer.from('hi'))).toBe('{"type":"Buffer","data":[104,105]}');
  });
});

describe('hostile values and wrong argument types against real servers: typed errors, nothing written, no lock', () => {
  let stack: StartedStack;
  let cache: OrderedCache<unknown>;
  let redis: Redis;
  let locksTaken = 0;

  beforeAll(async () => {
    stack = await startTestStack();
    cache = await openCache(stack, { lockTimeoutMs: 2_000 });
    cache.events.on('lock-acquired', () => locksTaken++);
    redis = await rawRedis(stack);
  });
  afterEach(async () => {
    // A fill's start creates the namespace's epoch key (docs/design.md "The epoch fence"): no entry.
    const epochKey = namespaceEpochKey(cache.store.options.namespace);
    expect((await redis.keys('*')).filter((k) => k !== epochKey)).toEqual([]);
    expect(await cache.locks.list()).toEqual([]);
  });
  afterAll(async () => {
    redis?.disconnect();
    await cache?.close();
    await stack?.stop();
  });

  const failure = (work: () => Promise<unknown>): Promise<unknown> =>
    work().then(
      () => {
        throw new Error('expected a typed error, the call succeeded');
      },
      (error: unknown) => error,
    );

  it.each([...NOT_ROUND_TRIPPING, ['a throwing getter', throwingGetter], ['a throwing Proxy', throwingProxy]] as [
    string,
    () => unknown,
  ][])('set(k, %s) → InvalidValueError before any lock', async (_what, make) => {
    const before = locksTaken;
    expect(await failure(() => cache.set('k', make(), 1n))).toBeInstanceOf(InvalidValueError);
    expect(locksTaken).toBe(before);
  });

  it('a loader whose value has a throwing getter → InvalidValueError, nothing written, lock released', async () => {
    const error = await failure(() => cache.get('loaded', async () => ({ value: throwingGetter(), timestamp: 1n })));
    expect(error).toBeInstanceOf(InvalidValueError);
  });

  it('a loader result that throws when read (getter, Proxy trap) → MalformedLoaderResultError, nothing written', async () => {
    const getter = Object.defineProperty({ timestamp: 1n }, 'value', {
      get() {
        throw new Error('getter says no');
      },
    });
    const proxy = new Proxy(
      { value: 1, timestamp: 1n },
      {
        has() {
          throw new Error('trap says no');
        },
      },
    );
    for (const result of [getter, proxy]) {
      const error = await failure(() => cache.get('loaded-result', async () => result as never));
      expect(error).toBeInstanceOf(MalformedLoaderResultError);
      expect((error as Error).cause).toBeInstanceOf(Error);
    }
  });

  it.each([
    ['get(k, 5)', () => cache.get('k', 5 as never), InvalidArgumentError, /loader must be a function, got number 5/],
    [
      'get(k, fn, null)',
      () => cache.get('k', async () => undefined, null as never),
      InvalidOptionsError,
      /options must be an object, got null/,
    ],
    [
      "get(k, fn, { signal: 'x' })",
      () => cache.get('k', async () => undefined, { signal: 'x' as never }),
      InvalidOptionsError,
      /options.signal must be an AbortSignal, got a string/,
    ],
    [
      'getEntry(k, null)',
      () => cache.getEntry('k', null as never),
      InvalidArgumentError,
      /loader must be a function, got null/,
    ],
    [
      'withLock(k, 5)',
      () => cache.withLock('k', 5 as never),
      InvalidArgumentError,
      /fn must be a function, got number 5/,
    ],
    [
      "withLock(k, fn, { timeoutMs: '1' })",
      () => cache.withLock('k', () => 1, { timeoutMs: '1' as never }),
      InvalidOptionsError,
      /options.timeoutMs/,
    ],
    [
      "set(k, v, 1, { signal: 'x' })",
      () => cache.set('k', 1, 1n, { signal: 'x' as never }),
      InvalidOptionsError,
      /options.signal/,
    ],
    [
      'set(k, v, 1, { epoch: 5 })',
      () => cache.set('k', 1, 1n, { epoch: 5 as never }),
      InvalidOptionsError,
      /options\.epoch must be an epoch token/,
    ],
    [
      "set(k, v, 1, { epoch: 'x'.repeat(32) })",
      () => cache.set('k', 1, 1n, { epoch: 'x'.repeat(32) }),
      InvalidOptionsError,
      /options\.epoch must be an epoch token/,
    ],
    [
      'invalidate(k, 1, 7)',
      () => cache.invalidate('k', 1n, 7 as never),
      InvalidOptionsError,
      /options must be an object, got number 7/,
    ],
  ] as [string, () => Promise<unknown>, new (...args: never[]) => ZkocError, RegExp][])(
    '%s → a typed error before any lock',
    async (_what, call, type, message) => {
      const before = locksTaken;
      const error = await failure(call);
      expect(error).toBeInstanceOf(type);
      expect((error as Error).message).toMatch(message);
      expect(locksTaken).toBe(before);
    },
  );

  it.each([5, true, 0, Symbol('x'), () => 1, [], ['redis://h:1', 7]] as unknown[])(
    'redis: %s → InvalidOptionsError, no connection',
    async (redisOption) => {
      const error = await failure(() =>
        OrderedCache.connect({
          zookeeper: { connectString: stack.zookeeper.connectString },
          redis: redisOption as OrderedCacheOptions['redis'],
          namespace: 'wrong-types',
        }),
      );
      expect(error).toBeInstanceOf(InvalidOptionsError);
      expect((error as Error).message).toMatch(/^redis/);
    },
  );
});
