import { assert, describe, expect, it } from 'vitest';
import { CacheEventEmitter } from '../../src/cache/events.js';
import { NearCache } from '../../src/cache/near-cache.js';
import { parseNearCacheOption } from '../../src/cache/near-cache-options.js';
import { type NearReadsContext, nearReadsFor } from '../../src/cache/near-reads.js';
import { parseOptions } from '../../src/cache/options.js';
import { ReadBarrier } from '../../src/cache/read-barrier.js';
import { InvalidOptionsError } from '../../src/errors.js';
import type { NearEntry } from '../../src/redis/near-entry.js';
import { deferred } from './fixture.js';

const entry = (value: string, bytes = 100, retainedUntilMs = Number.MAX_SAFE_INTEGER): NearEntry => ({
  kind: 'value',
  timestamp: 1n,
  expiresAt: Number.MAX_SAFE_INTEGER,
  writtenAt: 0,
  writer: 'w',
  retainedUntilMs,
  value: Buffer.from(JSON.stringify(value)),
  bytes,
});
const big = { maxEntries: 100, maxBytes: 1 << 20 };
const now = 1_000;

// The fill rule with the order of events forced: what a reply overtaken by an invalidation must not do.
describe('NearCache: the fill rule', () => {
  it('keeps a reply when nothing touched the key between send and reply', () => {
    const near = new NearCache(big);
    const ticket = near.beginFill('k');
    near.endFill(ticket, entry('v1'), true);
    expect(near.get('k', now)?.value.toString()).toBe('"v1"');
  });

  it('drops a reply when the key was invalidated after the read was sent', () => {
    const near = new NearCache(big);
    const ticket = near.beginFill('k');
    near.invalidate('k'); // the push for a write Redis ran after our read: it may be older than that write
    near.endFill(ticket, entry('old'), true);
    expect(near.get('k', now)).toBeUndefined();
    // the next fill, sent after that push, is kept
    const next = near.beginFill('k');
    near.endFill(next, entry('new'), true);
    expect(near.get('k', now)?.value.toString()).toBe('"new"');
  });

  it('an invalidation of another key does not spoil the fill', () => {
    const near = new NearCache(big);
    const ticket = near.beginFill('k');
    near.invalidate('j');
    near.endFill(ticket, entry('v1'), true);
    expect(near.size).toBe(1);
  });

  it('drops a reply after a flush (FLUSHALL, a tracking reconnect), even when the flush came between two fills of the key', () => {
    const near = new NearCache(big);
    const first = near.beginFill('k');
    near.flush();
    const second = near.beginFill('k');
    near.endFill(first, entry('before-flush'), true);
    near.invalidate('k'); // must still spoil the second fill: the first one's end must not have dropped its record
    near.endFill(second, entry('overtaken'), true);
    expect(near.get('k', now)).toBeUndefined();
    const third = near.beginFill('k');
    near.endFill(third, entry('after'), true);
    expect(near.get('k', now)?.value.toString()).toBe('"after"');
  });

  it('two overlapping fills of a key: an invalidation between spoils both', () => {
    const near = new NearCache(big);
    const a = near.beginFill('k');
    near.invalidate('k');
    const b = near.beginFill('k');
    near.endFill(a, entry('a'), true);
    expect(near.size).toBe(0);
    near.endFill(b, entry('b'), true); // sent after the push: kept
    expect(near.get('k', now)?.value.toString()).toBe('"b"');
  });

  it('keeps nothing read while tracking was not active', () => {
    const near = new NearCache(big);
    near.endFill(near.beginFill('k'), entry('v'), false);
    expect(near.size).toBe(0);
  });

  it('bounds entries and bytes, least recently used first; an entry past its Redis retention is gone', () => {
    const near = new NearCache({ maxEntries: 2, maxBytes: 250 });
    near.endFill(near.beginFill('a'), entry('a'), true);
    near.endFill(near.beginFill('b'), entry('b'), true);
    near.get('a', now); // a is now the most recent
    near.endFill(near.beginFill('c'), entry('c'), true);
    expect(near.get('b', now)).toBeUndefined();
    expect(near.size).toBe(2);
    near.endFill(near.beginFill('d'), entry('d', 200), true); // 400 bytes: a, then c, go (oldest first)
    expect([near.size, near.bytes]).toEqual([1, 200]);
    expect(near.get('d', now)).toBeDefined();
    near.endFill(near.beginFill('huge'), entry('huge', 251), true);
    expect(near.get('huge', now)).toBeUndefined();
    near.endFill(near.beginFill('r'), entry('r', 10, now), true);
    expect(near.get('r', now)).toBeUndefined();
  });
});

describe('ReadBarrier', () => {
  function harness() {
    const pings: ReturnType<typeof deferred<unknown>>[] = [];
    const barrier = new ReadBarrier(() => {
      const ping = deferred<unknown>();
      pings.push(ping);
      return ping.promise;
    });
    return { barrier, pings };
  }
  const tick = () => new Promise<void>((resolve) => setImmediate(resolve));

  it('calls of one tick share one PING sent after them; calls made while it is in flight wait for the next', async () => {
    const { barrier, pings } = harness();
    const order: string[] = [];
    const a = barrier.wait().then(() => order.push('a'));
    const b = barrier.wait().then(() => order.push('b'));
    expect(pings).toHaveLength(0); // sent on the next tick, after every call of this one
    await tick();
    expect(pings).toHaveLength(1);
    const c = barrier.wait().then(() => order.push('c')); // the PING in flight may predate c
    await tick();
    expect(pings).toHaveLength(1); // one in flight at a time
    pings[0]!.resolve('PONG');
    await Promise.all([a, b]);
    expect(order).toEqual(['a', 'b']);
    expect(pings).toHaveLength(2); // c's PING left when the first was answered
    pings[1]!.resolve('PONG');
    await c;
    expect(order).toEqual(['a', 'b', 'c']);
  });

  it('a failed PING fails its waiters only; the next waiters get a new PING', async () => {
    const { barrier, pings } = harness();
    const a = barrier.wait();
    await tick();
    const b = barrier.wait();
    pings[0]!.reject(new Error('Command timed out'));
    await expect(a).rejects.toThrow('Command timed out');
    pings[1]!.resolve('PONG');
    await expect(b).resolves.toBeUndefined();
  });
});

describe('ReadBarrier.abort', () => {
  it('fails the waiting calls at once; the PING that never came back is not waited for, nor its late answer acted on', async () => {
    const pings: ReturnType<typeof deferred<unknown>>[] = [];
    const barrier = new ReadBarrier(() => {
      const ping = deferred<unknown>();
      pings.push(ping);
      return ping.promise;
    });
    const tick = () => new Promise<void>((resolve) => setImmediate(resolve));
    const inFlight = barrier.wait();
    await tick();
    const queued = barrier.wait(); // waits for the PING after the one in flight
    barrier.abort(new Error('closed'));
    await expect(inFlight).rejects.toThrow('closed');
    await expect(queued).rejects.toThrow('closed');
    const later = barrier.wait();
    await tick();
    expect(pings).toHaveLength(2); // a new PING, though the first was never answered
    pings[0]!.resolve('PONG'); // late: must not send another while the second is in flight
    await tick();
    expect(pings).toHaveLength(2);
    pings[1]!.resolve('PONG');
    await expect(later).resolves.toBeUndefined();
  });
});

describe('nearCache option', () => {
  const base = { zookeeper: { connectString: '127.0.0.1:2181' }, redis: 'redis://127.0.0.1:6379', namespace: 'n' };

  it('defaults on, 10,000 entries and 64 MiB; false is off; bounds are taken', () => {
    expect(parseOptions(base).nearCache).toEqual({ maxEntries: 10_000, maxBytes: 64 * 1024 * 1024 });
    expect(parseOptions({ ...base, nearCache: false }).nearCache).toBeUndefined();
    expect(parseNearCacheOption({ maxEntries: 5 })).toEqual({ maxEntries: 5, maxBytes: 64 * 1024 * 1024 });
  });

  it.each([
    ['a string', 'yes', /^nearCache must be false, true or \{ maxEntries, maxBytes \}, got string "yes"$/],
    ['null', null, /^nearCache must be false, true or/],
    ['zero entries', { maxEntries: 0 }, /^nearCache\.maxEntries must be a whole number of entries from 1/],
    ['fractional bytes', { maxBytes: 1.5 }, /^nearCache\.maxBytes must be a whole number of bytes from 1/],
    ['a typo', { maxEntrys: 5 }, /^unknown option nearCache\.maxEntrys \(did you mean nearCache\.maxEntries\?\)$/],
  ])('%s: InvalidOptionsError naming it', (_what, nearCache, message) => {
    const parse = () => parseOptions({ ...base, nearCache: nearCache as never });
    expect(parse).toThrow(InvalidOptionsError);
    expect(parse).toThrow(message);
  });
});

// No Cluster is started here (test/support starts one only for topology specs): what decides is the
// client's isCluster, before any connection is made.
describe('where the near cache cannot be exact, it is off and says why', () => {
  const context = (redis: unknown) => {
    const events = new CacheEventEmitter();
    const reported: unknown[] = [];
    events.on('near-cache', (e) => reported.push(e));
    return { ctx: { redis, events } as unknown as NearReadsContext<unknown>, events, reported };
  };

  it('a Redis Cluster: no near cache, state unavailable, the reason in the event', () => {
    const { ctx, events, reported } = context({ isCluster: true, duplicate: () => assert.fail('no connection') });
    expect(nearReadsFor(ctx)).toBeUndefined();
    expect(events.nearCacheState).toBe('unavailable');
    expect(reported).toEqual([{ state: 'unavailable', reason: expect.stringMatching(/Cluster/) }]);
  });

  it('a client passed in that cannot be duplicated', () => {
    const { ctx, events } = context({ isCluster: false });
    expect(nearReadsFor(ctx)).toBeUndefined();
    expect(events.nearCacheState).toBe('unavailable');
  });
});
