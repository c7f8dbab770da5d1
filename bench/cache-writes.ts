import { Redis } from 'ioredis';
import { OrderedCache } from '../src/cache/ordered-cache.js';
import { comparedRow, compareInRounds } from './measure.js';
import type { BenchContext, BenchRow } from './types.js';

const IN_FLIGHT = 64;
const ROUNDS = 8;
const KEYS = 1_000;

/**
 * What auto-pipelining gains `set()` and `invalidate()`: 64 in flight on distinct keys, a cache on
 * its own connection (auto-pipelined, one liveness timer) against a cache on a connection configured
 * as the library's were before (one command per write, ioredis's per-command 5 s timeout). Each
 * call takes the key's ZooKeeper lock first, so the lock's round trips bound both sides.
 */
export async function runCacheWriteRows(ctx: BenchContext): Promise<BenchRow[]> {
  const connect = (namespace: string, redis: string | Redis) =>
    OrderedCache.connect<{ id: number }>({
      zookeeper: { connectString: ctx.zookeeper, sessionTimeoutMs: 10_000 },
      redis,
      namespace,
    });
  const before = new Redis(ctx.redis, { lazyConnect: true, commandTimeout: 5_000, maxRetriesPerRequest: 1 });
  await before.connect();
  const pipelined = await connect('bench-writes-pipelined', ctx.redis);
  const unpipelined = await connect('bench-writes-plain', before);
  try {
    const ops = Math.max(500, Math.round(1_500 * ctx.scale));
    let ts = 1n; // one clock for both sides: every write is 'written'
    const key = (i: number) => `product:${i % KEYS}`;
    const set = await compareInRounds(
      ops,
      IN_FLIGHT,
      ROUNDS,
      (i) => unpipelined.set(key(i), { id: i }, ts++),
      (i) => pipelined.set(key(i), { id: i }, ts++),
    );
    const invalidate = await compareInRounds(
      ops,
      IN_FLIGHT,
      ROUNDS,
      (i) => unpipelined.invalidate(key(i), ts++),
      (i) => pipelined.invalidate(key(i), ts++),
    );
    const note = `${IN_FLIGHT} in flight on ${KEYS} keys, median of ${ROUNDS} alternating rounds of ${ops}; floor: the same cache on a connection without auto-pipelining, with ioredis's 5 s commandTimeout; each call takes the key's ZooKeeper lock`;
    return [
      comparedRow('set() auto-pipelined vs not', set, 'ops/s', 1, note),
      comparedRow('invalidate() auto-pipelined vs not', invalidate, 'ops/s', 1, note),
    ];
  } finally {
    await Promise.all([pipelined.close(), unpipelined.close()]);
    before.disconnect();
  }
}
