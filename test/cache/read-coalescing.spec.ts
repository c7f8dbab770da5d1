import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OrderedCache } from '../../src/cache/ordered-cache.js';
import type { StartedStack } from '../../src/testing/index.js';
import { commandsSentBy } from '../redis/monitor.js';
import { needs, startTestStack } from '../support/stack.js';
import { deferred, openCache, rawRedis } from './fixture.js';

type Value = { v: number };
const neverLoad = () => Promise.reject(new Error('a hit must not load'));

/**
 * Holds the replies of this client's HMGETs until `release()`: each command reaches the real Redis
 * at once and is answered; only its reply is kept from the cache. `answered(n)` resolves when n
 * held HMGETs have their reply, so a test knows what each read saw before it moves on. Only the
 * first `holdFirst` HMGETs are held.
 */
function holdHmgetReplies(client: Redis, holdFirst = Number.POSITIVE_INFINITY) {
  const gate = deferred();
  const original = client.hmgetBuffer.bind(client) as (...args: unknown[]) => Promise<(Buffer | null)[]>;
  let sent = 0;
  let replied = 0;
  const waiters: { count: number; resolve: () => void }[] = [];
  (client as unknown as { hmgetBuffer: (...args: unknown[]) => Promise<unknown> }).hmgetBuffer = (...args) => {
    sent += 1;
    if (sent > holdFirst) return original(...args);
    return original(...args).then(async (reply) => {
      replied += 1;
      for (const w of waiters) if (replied >= w.count) w.resolve();
      await gate.promise;
      return reply;
    });
  };
  return {
    get sent() {
      return sent;
    },
    answered: (count: number) =>
      replied >= count ? Promise.resolve() : new Promise<void>((resolve) => waiters.push({ count, resolve })),
    release: () => gate.resolve(),
    restore: () => {
      (client as unknown as { hmgetBuffer: unknown }).hmgetBuffer = original;
    },
  };
}

// The Redis read path, as it is without the near cache (and with it, whenever tracking is not active): the near
// cache's own reads, barrier and fills are covered in near-cache.spec.ts.
describe('in-flight read coalescing', needs('exclusive', 'counts the commands every client sends with MONITOR'), () => {
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

  /** A cache on a client the test owns, so that the test can hold its replies. */
  async function cacheOnOwnClient(): Promise<{ cache: OrderedCache<Value>; client: Redis }> {
    const client = new Redis(stack.redis.url, {
      lazyConnect: true,
      enableAutoPipelining: true,
      maxRetriesPerRequest: 1,
    });
    await client.connect();
    return { cache: await openCache<Value>(stack, { redis: client, nearCache: false }), client };
  }

  it('64 concurrent get() of one hot key send one HMGET; 64 peek() send one more', async () => {
    const cache = await openCache<Value>(stack, { nearCache: false });
    try {
      await cache.set('hot', { v: 1 }, 1n);
      let gets: unknown[] = [];
      const sentByGets = await commandsSentBy(raw, async () => {
        gets = await Promise.all(Array.from({ length: 64 }, () => cache.get('hot', neverLoad)));
      });
      expect(gets).toEqual(Array.from({ length: 64 }, () => ({ v: 1 })));
      expect(sentByGets.filter((c) => c[0]?.toLowerCase() === 'hmget')).toHaveLength(1);

      let peeks: unknown[] = [];
      const sentByPeeks = await commandsSentBy(raw, async () => {
        peeks = await Promise.all(Array.from({ length: 64 }, () => cache.peek('hot')));
      });
      expect(peeks).toHaveLength(64);
      for (const entry of peeks) expect(entry).toMatchObject({ kind: 'value', value: { v: 1 }, timestamp: 1n });
      expect(sentByPeeks.filter((c) => c[0]?.toLowerCase() === 'hmget')).toHaveLength(1);

      // Settled reads are not reused: the next call reads again.
      const next = await commandsSentBy(raw, () => cache.get('hot', neverLoad));
      expect(next.filter((c) => c[0]?.toLowerCase() === 'hmget')).toHaveLength(1);
    } finally {
      await cache.close();
    }
  });

  it('a get() after a local set() resolved does not join a read issued before it (forced interleaving)', async () => {
    const { cache, client } = await cacheOnOwnClient();
    try {
      await cache.set('k', { v: 1 }, 1n);
      const held = holdHmgetReplies(client);
      const early = cache.get('k', neverLoad); // read R1 is sent and answered with v1; its reply is held
      await held.answered(1);
      const joined = cache.get('k', neverLoad); // called before the set: may share R1
      expect(held.sent).toBe(1);
      expect((await cache.set('k', { v: 2 }, 2n)).status).toBe('written');
      const late = cache.get('k', neverLoad); // called after the set resolved: must not share R1
      expect(held.sent).toBe(2);
      await held.answered(2);
      held.release();
      expect(await early).toEqual({ v: 1 });
      expect(await joined).toEqual({ v: 1 });
      expect(await late).toEqual({ v: 2 });
      held.restore();
    } finally {
      await cache.close();
      client.disconnect();
    }
  });

  it('a peek() after a local invalidate() resolved does not join a read issued before it', async () => {
    const { cache, client } = await cacheOnOwnClient();
    try {
      await cache.set('gone', { v: 1 }, 1n);
      const held = holdHmgetReplies(client);
      const early = cache.peek('gone');
      await held.answered(1);
      expect((await cache.invalidate('gone', 2n)).status).toBe('written');
      const late = cache.peek('gone');
      expect(held.sent).toBe(2);
      held.release();
      expect(await early).toMatchObject({ kind: 'value', timestamp: 1n });
      expect(await late).toBeUndefined();
      held.restore();
    } finally {
      await cache.close();
      client.disconnect();
    }
  });

  it("a read after a fill's write resolved does not join a read issued before it", async () => {
    const { cache, client } = await cacheOnOwnClient();
    try {
      const held = holdHmgetReplies(client, 1); // the fill's own reads go through
      const early = cache.peek('cold'); // answered: nothing stored; the reply is held
      await held.answered(1);
      expect(await cache.get('cold', async () => ({ value: { v: 7 }, timestamp: 7n }))).toEqual({ v: 7 });
      const sentBefore = held.sent;
      const late = cache.peek('cold'); // after the fill's write resolved: must not share the early read
      expect(held.sent).toBe(sentBefore + 1);
      held.release();
      expect(await early).toBeUndefined();
      expect(await late).toMatchObject({ kind: 'value', value: { v: 7 }, timestamp: 7n });
      held.restore();
    } finally {
      await cache.close();
      client.disconnect();
    }
  });
});
