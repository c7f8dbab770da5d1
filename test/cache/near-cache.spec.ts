import { Redis } from 'ioredis';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CacheEvents } from '../../src/cache/events.js';
import type { OrderedCache } from '../../src/cache/ordered-cache.js';
import { parsePrometheusText } from '../../src/cli/top/prometheus-text.js';
import { registerMetrics } from '../../src/metrics/index.js';
import type { StartedStack } from '../../src/testing/index.js';
import { needs, startTestStack } from '../support/stack.js';
import { deferred, openCache, rawRedis } from './fixture.js';

type Value = { v: number };
const neverLoad = () => Promise.reject(new Error('a hit must not load'));

function nextState(cache: OrderedCache<Value>, state: CacheEvents['near-cache']['state']): Promise<void> {
  return new Promise((resolve) => {
    const listener = (e: CacheEvents['near-cache']) => {
      if (e.state !== state) return;
      cache.events.off('near-cache', listener);
      resolve();
    };
    cache.events.on('near-cache', listener);
  });
}

/** The tracking connection's client id: the only client of the file's Redis in tracking mode. */
async function trackingClientIds(raw: Redis): Promise<string[]> {
  const list = (await raw.call('CLIENT', 'LIST')) as string;
  return list
    .trim()
    .split('\n')
    .filter((line) => /\bflags=\w*t\w*\b/.test(line))
    .map((line) => /\bid=(\d+)/.exec(line)![1]!);
}

describe('near cache: exact against a real Redis', () => {
  let stack: StartedStack;
  let raw: Redis;

  beforeAll(async () => {
    stack = await startTestStack();
    raw = await rawRedis(stack);
  });
  afterAll(async () => {
    raw?.disconnect();
    await stack?.stop();
  });

  it('is active after connect, and a second read of a key is answered in process', async () => {
    const cache = await openCache<Value>(stack);
    try {
      expect(cache.events.nearCacheState).toBe('active');
      await cache.set('k', { v: 1 }, 1n);
      expect(await cache.get('k', neverLoad)).toEqual({ v: 1 }); // read from Redis, kept
      const before = cache.events.nearHitCount;
      const a = await cache.get('k', neverLoad);
      const b = await cache.get('k', neverLoad);
      expect([a, b]).toEqual([{ v: 1 }, { v: 1 }]);
      expect(a).not.toBe(b); // decoded per serve: no value object shared between callers
      expect(cache.events.nearHitCount).toBe(before + 2);
      const together = await Promise.all([cache.get('k', neverLoad), cache.get('k', neverLoad)]);
      expect(together).toEqual([{ v: 1 }, { v: 1 }]); // one barrier, one lookup, both counted
      expect(cache.events.nearHitCount).toBe(before + 4);
      const registry = new Registry();
      registerMetrics(cache, { registry });
      await cache.get('k', neverLoad);
      const samples = parsePrometheusText(await registry.metrics());
      const nearHits = samples.find((sample) => sample.name === 'zkoc_near_cache_hits_total');
      expect(nearHits).toMatchObject({ labels: { namespace: cache.namespace }, value: 1 }); // counted since registering
      expect(await cache.peek('k')).toMatchObject({
        kind: 'value',
        value: { v: 1 },
        timestamp: 1n,
        writer: expect.any(String),
      });
    } finally {
      await cache.close();
    }
  });

  it('a write by another client that completed before a get() started is always seen (200 interleavings)', async () => {
    const cache = await openCache<Value>(stack);
    const other = await openCache<Value>(stack, { namespace: cache.namespace });
    try {
      const redisKey = cache.store.redisKeyOf('x');
      let ts = 1n;
      let loads = 0;
      const loader = async () => {
        loads += 1;
        return { value: { v: -1 }, timestamp: ts };
      };
      await cache.set('x', { v: 0 }, ts);
      for (let i = 1; i <= 200; i++) {
        await cache.get('x', loader);
        const hits = cache.events.nearHitCount;
        expect(await cache.get('x', loader)).toBeDefined();
        expect(cache.events.nearHitCount).toBe(hits + 1); // in the near cache before the write
        const way = i % 4;
        let expected: Value;
        if (way === 0) {
          ts += 1n;
          expected = { v: i };
          expect((await other.set('x', expected, ts)).status).toBe('written'); // another OrderedCache
        } else if (way === 1) {
          expected = { v: i };
          await raw.hset(redisKey, 'v', JSON.stringify(expected)); // a plain client, behind the library's back
        } else if (way === 2) {
          await raw.del(redisKey); // gone: the next get loads
          ts += 1n;
          expected = { v: -1 };
        } else {
          ts += 1n;
          expected = { v: i };
          expect((await cache.set('x', expected, ts)).status).toBe('written'); // this process
        }
        const [first, second] = await Promise.all([cache.get('x', loader), cache.get('x', loader)]);
        expect(first).toEqual(expected);
        expect(second).toEqual(expected);
      }
      expect(loads).toBe(50);
    } finally {
      await other.close();
      await cache.close();
    }
  });

  it('a get() waits for the invalidations pushed before it started (their delivery held back)', async () => {
    // The cache's tracking connection is a duplicate of the client: capture it to hold what it receives.
    const client = new Redis(stack.redis.url, { lazyConnect: true, maxRetriesPerRequest: 1 });
    await client.connect();
    let tracking: Redis | undefined;
    client.duplicate = (override) => {
      tracking = Redis.prototype.duplicate.call(client, override);
      return tracking;
    };
    const cache = await openCache<Value>(stack, { redis: client });
    try {
      await cache.set('b', { v: 1 }, 1n);
      await cache.get('b', neverLoad);
      const socket = (tracking as unknown as { stream: { pause(): void; resume(): void } }).stream;
      socket.pause(); // the push for the write below stays in the socket, unread
      await raw.hset(cache.store.redisKeyOf('b'), 'v', JSON.stringify({ v: 2 }));
      let settled = false;
      const read = cache.get('b', neverLoad).finally(() => {
        settled = true;
      });
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(settled).toBe(false); // its barrier PING's reply is behind the push
      socket.resume();
      expect(await read).toEqual({ v: 2 });
    } finally {
      await cache.close();
      client.disconnect();
    }
  });

  it(
    'the user of the tracking connection loses its password with a barrier PING unanswered: the read still ends (bounded), no hang',
    needs('exclusive', 'adds an ACL user'),
    async () => {
      await raw.call('ACL', 'SETUSER', 'rotated', 'on', '>old', '~*', '&*', '+@all');
      const url = new URL(stack.redis.url);
      url.username = 'rotated';
      url.password = 'old';
      const client = new Redis(url.toString(), { lazyConnect: true, maxRetriesPerRequest: 1 });
      await client.connect();
      let tracking: Redis | undefined;
      client.duplicate = (override) => {
        tracking = Redis.prototype.duplicate.call(client, override);
        return tracking;
      };
      // A Redis read fails within 1–1.2 s (the liveness bound) on the cache's own connection.
      const cache = await openCache<Value>(stack, { redis: client, redisCommandTimeoutMs: 1_000 });
      try {
        await cache.set('d', { v: 1 }, 1n);
        const internals = tracking as unknown as {
          stream: { pause(): void; destroy(): void };
          options: { port: number };
        };
        internals.stream.pause(); // the PING below is written, its answer never read
        const read = cache.get('d', neverLoad).catch((error: unknown) => error);
        await new Promise((resolve) => setTimeout(resolve, 50));
        // The password changes and the user's connections are killed: every reconnect is refused (WRONGPASS),
        // and ioredis keeps the unanswered PING for a resend after a reconnect that never comes.
        await raw.call('ACL', 'SETUSER', 'rotated', 'resetpass', '>new');
        await raw.call('CLIENT', 'KILL', 'USER', 'rotated');
        const outcome = await Promise.race([
          read,
          new Promise((resolve) => setTimeout(() => resolve('still waiting after 5 s'), 5_000)),
        ]);
        expect(outcome).not.toBe('still waiting after 5 s'); // it fails (the password is wrong), but it returns
        expect(cache.events.nearCacheState).toBe('inactive');
      } finally {
        await cache.close();
        client.disconnect();
        await raw.call('ACL', 'DELUSER', 'rotated');
      }
    },
  );

  it('the fill race: a reply overtaken by the invalidation of a later write is not kept', async () => {
    const client = new Redis(stack.redis.url, { lazyConnect: true, maxRetriesPerRequest: 1 });
    await client.connect();
    const cache = await openCache<Value>(stack, { redis: client });
    try {
      await cache.set('r', { v: 1 }, 1n);
      // Hold the reply of the next HMGET: Redis has answered it (v1) before the write below runs.
      const { gate, answered } = holdNextRead(client);
      const early = cache.get('r', neverLoad);
      await answered.promise;
      await raw.hset(cache.store.redisKeyOf('r'), 'v', JSON.stringify({ v: 2 })); // after the read ran
      // A read of another key passes the barrier: the invalidation of the write above has arrived.
      await cache.peek('elsewhere');
      gate.resolve();
      expect(await early).toEqual({ v: 1 }); // it was issued before the write: v1 is what Redis said then
      expect(await cache.get('r', neverLoad)).toEqual({ v: 2 }); // the overtaken reply was not kept
    } finally {
      await cache.close();
      client.disconnect();
    }
  });

  it('a get that starts after an invalidation arrived never joins a fill read sent before it', async () => {
    const client = new Redis(stack.redis.url, { lazyConnect: true, maxRetriesPerRequest: 1 });
    await client.connect();
    const cache = await openCache<Value>(stack, { redis: client });
    try {
      await cache.set('j', { v: 1 }, 1n);
      const { gate, answered } = holdNextRead(client);
      const early = cache.get('j', neverLoad); // its fill read is answered (v1) and held
      await answered.promise;
      await raw.hset(cache.store.redisKeyOf('j'), 'v', JSON.stringify({ v: 2 })); // completed now
      await cache.peek('elsewhere'); // the invalidation has arrived
      const late = cache.get('j', neverLoad); // started after the write completed: must see it
      await cache.peek('elsewhere-too'); // shares its barrier PING: the late get is past it, the old fill still held
      gate.resolve();
      expect(await early).toEqual({ v: 1 });
      expect(await late).toEqual({ v: 2 });
    } finally {
      await cache.close();
      client.disconnect();
    }
  });

  it('an entry is not served fresh past its TTL', async () => {
    const cache = await openCache<Value>(stack, { ttlMs: 300 });
    try {
      await cache.set('t', { v: 1 }, 1n);
      expect(await cache.get('t', neverLoad)).toEqual({ v: 1 });
      expect(await cache.get('t', neverLoad)).toEqual({ v: 1 }); // from the near cache
      await new Promise((resolve) => setTimeout(resolve, 350));
      let loaded = 0;
      const value = await cache.get('t', async () => {
        loaded += 1;
        return { value: { v: 2 }, timestamp: 2n };
      });
      expect([value, loaded]).toEqual([{ v: 2 }, 1]);
    } finally {
      await cache.close();
    }
  });

  it('the tracking connection killed: emptied and bypassed until it is back, then used again', async () => {
    const cache = await openCache<Value>(stack);
    try {
      await cache.set('c', { v: 1 }, 1n);
      await cache.get('c', neverLoad);
      const ids = await trackingClientIds(raw);
      expect(ids).toHaveLength(1);
      const inactive = nextState(cache, 'inactive');
      const active = nextState(cache, 'active');
      await raw.call('CLIENT', 'KILL', 'ID', ids[0]!);
      await inactive;
      expect(cache.events.nearCacheState).toBe('inactive');
      const hits = cache.events.nearHitCount;
      await raw.hset(cache.store.redisKeyOf('c'), 'v', JSON.stringify({ v: 2 })); // no tracking to tell us
      expect(await cache.get('c', neverLoad)).toEqual({ v: 2 });
      expect(await cache.get('c', neverLoad)).toEqual({ v: 2 });
      expect(cache.events.nearHitCount).toBe(hits); // bypassed, and nothing kept meanwhile
      await active;
      const newIds = await trackingClientIds(raw);
      expect(newIds).toHaveLength(1);
      expect(newIds[0]).not.toBe(ids[0]);
      expect(await cache.get('c', neverLoad)).toEqual({ v: 2 });
      expect(await cache.get('c', neverLoad)).toEqual({ v: 2 });
      expect(cache.events.nearHitCount).toBe(hits + 1);
      await raw.hset(cache.store.redisKeyOf('c'), 'v', JSON.stringify({ v: 3 }));
      expect(await cache.get('c', neverLoad)).toEqual({ v: 3 }); // tracked again
    } finally {
      await cache.close();
    }
  });

  it('FLUSHDB empties it', needs('exclusive', 'flushes the Redis database'), async () => {
    const cache = await openCache<Value>(stack);
    try {
      await cache.set('f', { v: 1 }, 1n);
      await cache.get('f', neverLoad);
      await cache.get('f', neverLoad);
      await raw.flushdb();
      let loaded = 0;
      const value = await cache.get('f', async () => {
        loaded += 1;
        return { value: { v: 5 }, timestamp: 5n };
      });
      expect([value, loaded]).toEqual([{ v: 5 }, 1]);
    } finally {
      await cache.close();
    }
  });

  it('close() leaves no socket and no tracking client; nearCache: false opens no tracking connection', async () => {
    const sockets = () => process.getActiveResourcesInfo().filter((kind) => kind === 'TCPSocketWrap').length;
    await new Promise((resolve) => setTimeout(resolve, 200)); // the previous tests' sockets finish closing
    const before = sockets();
    const cache = await openCache<Value>(stack);
    expect(await trackingClientIds(raw)).toHaveLength(1);
    await cache.close();
    expect(cache.events.nearCacheState).toBe('inactive');
    await new Promise((resolve) => setTimeout(resolve, 50)); // the server notices the closed socket
    expect(await trackingClientIds(raw)).toHaveLength(0);
    expect(sockets()).toBe(before);
    const off = await openCache<Value>(stack, { nearCache: false });
    try {
      expect(off.events.nearCacheState).toBe('off');
      expect(await trackingClientIds(raw)).toHaveLength(0);
      await off.set('o', { v: 1 }, 1n);
      expect(await off.get('o', neverLoad)).toEqual({ v: 1 });
      expect(await off.get('o', neverLoad)).toEqual({ v: 1 });
      expect(off.events.nearHitCount).toBe(0);
    } finally {
      await off.close();
    }
  });

  it(
    'Redis refusing client tracking (an ACL user without CLIENT): off for this cache, the event says why',
    needs('exclusive', 'adds an ACL user'),
    async () => {
      await raw.call('ACL', 'SETUSER', 'noclient', 'on', '>pw', '~*', '+@all', '-client');
      const url = new URL(stack.redis.url);
      url.username = 'noclient';
      url.password = 'pw';
      const cache = await openCache<Value>(stack, { redis: url.toString() });
      try {
        expect(cache.events.nearCacheState).toBe('unavailable');
        await cache.set('a', { v: 1 }, 1n);
        expect(await cache.get('a', neverLoad)).toEqual({ v: 1 });
        expect(await cache.get('a', neverLoad)).toEqual({ v: 1 });
        expect(cache.events.nearHitCount).toBe(0);
      } finally {
        await cache.close();
        await raw.call('ACL', 'DELUSER', 'noclient');
      }
    },
  );
});

/**
 * Holds the reply of `client`'s next HMGET: `answered` resolves once Redis has answered it, and the
 * caller gets the reply only after `gate` is resolved.
 */
function holdNextRead(client: Redis): {
  gate: ReturnType<typeof deferred<void>>;
  answered: ReturnType<typeof deferred<void>>;
} {
  const original = client.hmgetBuffer.bind(client) as (...args: unknown[]) => Promise<unknown>;
  const gate = deferred<void>();
  const answered = deferred<void>();
  (client as unknown as { hmgetBuffer: unknown }).hmgetBuffer = (...args: unknown[]) => {
    (client as unknown as { hmgetBuffer: unknown }).hmgetBuffer = original;
    return original(...args).then(async (reply) => {
      answered.resolve();
      await gate.promise;
      return reply;
    });
  };
  return { gate, answered };
}
