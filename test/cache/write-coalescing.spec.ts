import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OrderedCache } from '../../src/cache/ordered-cache.js';
import { keyParentPath } from '../../src/zookeeper/lock-paths.js';
import { commandsSentBy } from '../redis/monitor.js';
import { useStack } from '../support/stack.js';
import { connectTestClient, type TestZooKeeperClient } from '../testing/zookeeper-test-client.js';
import { openCache, rawRedis } from './fixture.js';

type Value = { v: number };
const WRITERS = 64;

const scriptCalls = (commands: string[][]) => commands.filter((c) => /^eval(sha)?$/i.test(c[0] ?? '')).length;

describe('write coalescing against real servers', () => {
  const stack = useStack();
  let raw: Redis;
  let zk: TestZooKeeperClient;

  beforeAll(async () => {
    raw = await rawRedis(stack());
    zk = await connectTestClient(stack().zookeeper.connectString, 10_000);
  });
  afterAll(() => {
    raw?.disconnect();
    zk?.close();
  });

  /** Child changes of the key's lock parent so far: each lock cycle creates and deletes one znode (2). */
  /**
   * Creates and deletes of the key's lock znodes so far (the parent's cversion), read once the last
   * one is gone: a write resolves when its value is written, and its lock's release (the delete)
   * may still be on its way to the server.
   */
  async function lockNodeChanges(cache: OrderedCache<Value>, key: string): Promise<number> {
    const path = keyParentPath(`/zkoc/${cache.namespace}/locks`, key);
    for (;;) {
      const stat = await new Promise<{ cversion: number; numChildren: number } | null>((resolve, reject) =>
        zk.raw.exists(path, (error, stat) => (error ? reject(error) : resolve(stat as never))),
      );
      if (stat === null || stat.numChildren === 0) return stat?.cversion ?? 0;
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  }

  /** 64 concurrent writers of one key, shuffled timestamps 1..64 (32 and 64 are invalidations). */
  async function burst(cache: OrderedCache<Value>, key: string) {
    const order = Array.from({ length: WRITERS }, (_, i) => BigInt(((i * 37) % WRITERS) + 1));
    const results = await Promise.all(
      order.map((ts) => (ts % 32n === 0n ? cache.invalidate(key, ts) : cache.set(key, { v: Number(ts) }, ts))),
    );
    return { order, results };
  }

  it('64 concurrent writers of one key: one lock cycle, one script call, the newest written', async () => {
    // A fresh namespace: the burst creates the key's lock parent, so its cversion counts only the
    // burst's lock znodes (read at once after it: the reaper waits parentLingerMs, 1 s, first).
    await using cache = await openCache<Value>(stack());
    let acquired = 0;
    cache.events.on('lock-acquired', () => {
      acquired += 1;
    });
    expect(await lockNodeChanges(cache, 'hot')).toBe(0); // no parent yet
    let outcome: Awaited<ReturnType<typeof burst>> | undefined;
    const commands = await commandsSentBy(raw, async () => {
      outcome = await burst(cache, 'hot');
    });
    expect(scriptCalls(commands)).toBe(1);
    expect(acquired).toBe(1);
    expect(await lockNodeChanges(cache, 'hot')).toBe(2); // one znode created and deleted
    // 64 is an invalidation, so the stored entry is its tombstone.
    const entry = await cache.inspect('hot');
    expect(entry.entry).toMatchObject({ kind: 'tombstone', timestamp: 64n });
    const { order, results } = outcome as NonNullable<typeof outcome>;
    for (const [i, ts] of order.entries()) {
      if (ts === 64n) expect(results[i]).toEqual({ status: 'written', current: 64n });
      else {
        expect(results[i]?.status).toBe('stale');
        expect(results[i]?.current).toBeGreaterThan(ts);
      }
    }
    // The first call (ts 1) was folded and waited for the write: it learns the timestamp that won.
    expect(results[0]).toEqual({ status: 'stale', current: 64n });
  });

  it('a value and a tombstone at one timestamp, folded: the value is written, as the ordering table says', async () => {
    await using cache = await openCache<Value>(stack());
    const results = await Promise.all([
      cache.invalidate('k', 5n),
      cache.set('k', { v: 5 }, 5n),
      cache.set('k', { v: 5 }, 5n),
      cache.set('k', { v: 4 }, 4n),
    ]);
    expect(results).toEqual([
      { status: 'stale', current: 5n },
      { status: 'written', current: 5n },
      { status: 'duplicate', current: 5n },
      { status: 'stale', current: 5n },
    ]);
    expect(await cache.peek('k')).toMatchObject({ kind: 'value', value: { v: 5 }, timestamp: 5n });
  });

  it('a folded burst below what Redis holds: every call stale with what Redis holds', async () => {
    await using cache = await openCache<Value>(stack());
    await cache.set('k', { v: 100 }, 100n);
    const results = await Promise.all([1n, 3n, 2n].map((ts) => cache.set('k', { v: 0 }, ts)));
    expect(results[0]).toEqual({ status: 'stale', current: 100n });
    expect(results[1]).toEqual({ status: 'stale', current: 100n });
    // 2 arrived when 3 was queued: stale at once, told the newer queued timestamp.
    expect(results[2]).toEqual({ status: 'stale', current: 3n });
  });

  it('a lock timeout reaches every call folded into the failed write; nothing is written', async () => {
    await using holder = await openCache<Value>(stack());
    await using cache = await openCache<Value>(stack(), { namespace: holder.namespace, lockTimeoutMs: 300 });
    await using held = await holder.locks.acquire('k');
    const settled = await Promise.allSettled([cache.set('k', { v: 1 }, 1n), cache.set('k', { v: 2 }, 2n)]);
    expect(settled.map((s) => (s.status === 'rejected' ? (s.reason as { code?: string }).code : s.status))).toEqual([
      'E_LOCK_TIMEOUT',
      'E_LOCK_TIMEOUT',
    ]);
    expect(await cache.inspect('k')).toMatchObject({ entry: undefined });
    void held;
  });

  it('coalesceWrites: false sends every write through its own lock cycle', async () => {
    await using cache = await openCache<Value>(stack(), { coalesceWrites: false });
    const commands = await commandsSentBy(raw, () => burst(cache, 'hot'));
    expect(scriptCalls(commands)).toBe(WRITERS);
    expect(await cache.peek('hot')).toBeUndefined(); // the tombstone at 64
    expect((await cache.inspect('hot')).entry).toMatchObject({ kind: 'tombstone', timestamp: 64n });
  });
});
