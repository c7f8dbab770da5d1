import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DEFAULTS, type OrderedCacheOptions, parseOptions } from '../../src/cache/options.js';
import { TIMEOUT_MS_RANGE, timeoutLimits } from '../../src/cli/connection-options.js';
import { MAX_TIMER_MS } from '../../src/core/deadline.js';
import { describeValue } from '../../src/core/option-checks.js';
import { InvalidOptionsError } from '../../src/errors.js';
import { OrderedStore } from '../../src/redis/ordered-store.js';
import { ORDERED_STORE_DEFAULTS, parseOrderedStoreOptions } from '../../src/redis/ordered-store-options.js';
import { parseStackOptions } from '../../src/testing/stack-options.js';
import { CONNECTION_DEFAULTS, parseConnectionOptions } from '../../src/zookeeper/connection-options.js';
import { LockManager } from '../../src/zookeeper/lock-manager.js';
import { LOCK_MANAGER_DEFAULTS, parseLockManagerOptions } from '../../src/zookeeper/lock-manager-options.js';
import { ZooKeeperConnection } from '../../src/zookeeper/zookeeper-connection.js';

// Pure logic: the parsers resolve the option tree without any server. The no-connection proof
// against real servers is in no-connection-on-bad-option.spec.ts.
const base: OrderedCacheOptions = {
  zookeeper: { connectString: '127.0.0.1:2181' },
  redis: 'redis://127.0.0.1:6379',
  namespace: 'tree',
};

function rejection(parse: () => unknown): InvalidOptionsError {
  try {
    parse();
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidOptionsError);
    return error as InvalidOptionsError;
  }
  throw new Error('expected InvalidOptionsError, nothing was thrown');
}

describe('the cache resolves the whole option tree, naming options as the caller wrote them', () => {
  it.each([
    ['an unknown key', { ttl: 60_000 }, 'unknown option ttl (did you mean ttlMs?)'],
    ['a key in the wrong case', { TTLMS: 1 }, 'unknown option TTLMS (did you mean ttlMs?)'],
    ['a string where a number belongs', { ttlMs: '60000' }, 'ttlMs must be a whole number of ms from 1 to'],
    ['a fraction', { graceMs: 1.5 }, 'graceMs must be a whole number of ms from 0 to 2147483647'],
    [
      'a label of 200 characters but 400 bytes',
      { label: 'é'.repeat(200) },
      'label must be a well-formed string of 1 to 256 UTF-8 bytes',
    ],
    ['an empty label', { label: '' }, 'label must be a well-formed string'],
    ['a lone surrogate in the label', { label: 'a\udc00' }, 'label must be a well-formed string'],
    [
      "maxValueBytes over Redis' limit",
      { maxValueBytes: 2 ** 30 },
      'maxValueBytes must be a whole number of bytes from 1 to 536870912',
    ],
    [
      'a codec without decode',
      { codec: { encode: () => '' } },
      'codec must be an object with encode(value) and decode(bytes)',
    ],
    [
      'a misspelt tracing setting',
      { tracing: { rootHit: true } },
      'unknown option tracing.rootHit (did you mean tracing.rootHits?)',
    ],
    ['tracing as a string', { tracing: 'yes' }, 'tracing must be true, false or { rootHits }, got string "yes"'],
    ['rootHits not a boolean', { tracing: { rootHits: 1 } }, 'tracing.rootHits must be true or false, got number 1'],
    [
      'a redis keyPrefix',
      { redis: { host: '127.0.0.1', keyPrefix: 'p:' } },
      'redis must not use the ioredis keyPrefix option',
    ],
  ])('%s', (_what, override, message) => {
    const error = rejection(() => parseOptions({ ...base, ...override } as OrderedCacheOptions));
    expect(error.message).toContain(message);
    expect(error.message).not.toMatch(/writerLabel|options\./);
  });

  it('tracing: a flag, or settings that turn it on', () => {
    expect(parseOptions(base).tracing).toEqual({ enabled: true, rootHits: false });
    expect(parseOptions({ ...base, tracing: false }).tracing).toEqual({ enabled: false, rootHits: false });
    expect(parseOptions({ ...base, tracing: {} }).tracing).toEqual({ enabled: true, rootHits: false });
    expect(parseOptions({ ...base, tracing: { rootHits: true } }).tracing).toEqual({ enabled: true, rootHits: true });
  });

  it('shows the type of a wrong value, not just its text', () => {
    expect(rejection(() => parseOptions({ ...base, ttlMs: '60000' as never })).message).toMatch(/got string "60000"$/);
    expect(rejection(() => parseOptions({ ...base, lockTimeoutMs: null as never })).message).toMatch(/got null$/);
    expect(describeValue([1, 2])).toBe('an array of 2');
    expect(describeValue(5n)).toBe('bigint 5n');
    expect(describeValue('x'.repeat(100))).toBe(`string "${'x'.repeat(40)}…"`);
  });

  it('names nested ZooKeeper options with their path', () => {
    expect(
      rejection(() => parseOptions({ ...base, zookeeper: { connectString: 'h:1', sessionTimeout: 5 } as never }))
        .message,
    ).toBe('unknown option zookeeper.sessionTimeout (did you mean zookeeper.sessionTimeoutMs?)');
    expect(
      rejection(() => parseOptions({ ...base, zookeeper: { connectString: 'h:1', sessionTimeoutMs: 600_001 } }))
        .message,
    ).toBe('zookeeper.sessionTimeoutMs must be a whole number of ms from 100 to 600000, got number 600001');
    expect(rejection(() => parseOptions({ ...base, zookeeper: undefined as never })).message).toMatch(
      /^zookeeper is required/,
    );
  });

  it('lists the known options when nothing is close to an unknown one', () => {
    expect(rejection(() => parseOptions({ ...base, banana: 1 } as never)).message).toMatch(
      /^unknown option banana; known options: zookeeper, redis, namespace, ttlMs, /,
    );
  });

  it('hands each layer what its own parser resolved, and one retention default', () => {
    const parsed = parseOptions({ ...base, label: 'worker-1', ttlMs: 1_000 });
    expect(parsed.store).toEqual(
      parseOrderedStoreOptions({
        namespace: 'tree',
        ttlMs: 1_000,
        retentionMs: ORDERED_STORE_DEFAULTS.retentionMs,
        writerLabel: 'worker-1',
      }),
    );
    expect(parsed.locks).toEqual(
      parseLockManagerOptions({ root: '/zkoc/tree/locks', label: 'worker-1', timeoutMs: DEFAULTS.lockTimeoutMs }),
    );
    expect(parseConnectionOptions(parsed.zookeeper)).toEqual(parseConnectionOptions(base.zookeeper));
    // the store's default is the floor; the cache raises it to twice what a writer can hold a value
    expect(parseOrderedStoreOptions({ namespace: 'n' }).retentionMs).toBe(ORDERED_STORE_DEFAULTS.retentionMs);
    expect(parsed.retentionMs).toBe(ORDERED_STORE_DEFAULTS.retentionMs);
    const longSession = parseOptions({ ...base, zookeeper: { connectString: 'h:1', sessionTimeoutMs: 400_000 } });
    expect(longSession.retentionMs).toBe(2 * (400_000 + LOCK_MANAGER_DEFAULTS.timeoutMs));
    expect(DEFAULTS.lockTimeoutMs).toBe(LOCK_MANAGER_DEFAULTS.timeoutMs);
    expect(parsed.zookeeper.sessionTimeoutMs ?? CONNECTION_DEFAULTS.sessionTimeoutMs).toBe(10_000);
  });

  it('rejects a retention shorter than a writer can hold a value', () => {
    expect(rejection(() => parseOptions({ ...base, retentionMs: 10_000 })).message).toMatch(
      /^retentionMs=10000 must be at least lockTimeoutMs \+ zookeeper\.sessionTimeoutMs = 15000/,
    );
  });
});

describe('lower layers validate with the same parsers when used directly', () => {
  // Each constructor parses before it touches its client, so an unusable stand-in never gets used.
  const unusedClient = {} as never;

  it('LockManager', () => {
    expect(rejection(() => new LockManager(unusedClient, { root: '/x', lable: 'a' } as never)).message).toBe(
      'unknown option lable (did you mean label?)',
    );
    expect(rejection(() => new LockManager(unusedClient, { root: '/x', label: 'é'.repeat(200) })).message).toMatch(
      /^label must be a well-formed string of 1 to 256 UTF-8 bytes, got string/,
    );
    expect(rejection(() => new LockManager(unusedClient, { root: '/x', lostOn: 'never' as never })).message).toBe(
      'lostOn must be "suspended" or "expired", got string "never"',
    );
  });

  it('OrderedStore', () => {
    expect(rejection(() => new OrderedStore(unusedClient, { namespace: 'n', ttl: 5 } as never)).message).toBe(
      'unknown option options.ttl (did you mean options.ttlMs?)',
    );
    expect(
      rejection(() => new OrderedStore(unusedClient, { namespace: 'n', writerLabel: 'é'.repeat(200) })).message,
    ).toMatch(/^options\.writerLabel must be/);
  });

  it('ZooKeeperConnection, before it connects', async () => {
    await expect(
      ZooKeeperConnection.connect({ connectString: '127.0.0.1:1', sessionTimeout: 5 } as never),
    ).rejects.toThrow('unknown option sessionTimeout (did you mean sessionTimeoutMs?)');
  });

  it('startStack, before any server starts', () => {
    expect(rejection(() => parseStackOptions({ zookeper: {} } as never)).message).toBe(
      'unknown option zookeper (did you mean zookeeper?)',
    );
    expect(rejection(() => parseStackOptions({ zookeeper: { tickTimeMs: '200' as never } })).message).toBe(
      'zookeeper.tickTimeMs must be a whole number of ms from 1 to 9007199254740991, got string "200"',
    );
    expect(rejection(() => parseStackOptions({ zookeeper: { fsync: 'no' as never } })).message).toBe(
      'zookeeper.fsync must be a boolean, got string "no"',
    );
    expect(rejection(() => parseStackOptions({ provider: 'docker' as never })).message).toMatch(
      /^provider must be one of/,
    );
  });
});

describe('every --timeout-ms in its documented range gives limits each client accepts', () => {
  it('holds at the edges and for any value in between', () => {
    const edges = [1, 300_000, 300_001, MAX_TIMER_MS, MAX_TIMER_MS + 1, 3_000_000_000, TIMEOUT_MS_RANGE.max];
    const check = (timeoutMs: number) => {
      const limits = timeoutLimits(timeoutMs);
      expect(limits.deadlineMs).toBe(timeoutMs);
      expect(limits.timerMs).toBeLessThanOrEqual(MAX_TIMER_MS);
      parseConnectionOptions({
        connectString: '127.0.0.1:2181',
        connectTimeoutMs: limits.timerMs,
        sessionTimeoutMs: limits.sessionTimeoutMs,
      });
      parseOptions({
        ...base,
        zookeeper: {
          connectString: 'h:1',
          connectTimeoutMs: limits.timerMs,
          sessionTimeoutMs: limits.sessionTimeoutMs,
        },
        lockTimeoutMs: limits.timerMs,
        redisConnectTimeoutMs: limits.timerMs,
        redisCommandTimeoutMs: limits.timerMs,
      });
    };
    for (const edge of edges) check(edge);
    fc.assert(fc.property(fc.integer({ min: TIMEOUT_MS_RANGE.min, max: TIMEOUT_MS_RANGE.max }), check));
  });
});
