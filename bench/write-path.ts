import { Redis } from 'ioredis';
import { OrderedCache } from '../src/cache/ordered-cache.js';
import { bare, bareCycle, ensure } from './bare-lock-recipe.js';
import { comparedRow, compareInRounds } from './measure.js';
import type { BenchContext, BenchSection } from './types.js';

const IN_FLIGHT = 64;
const KEYS = 256;
const ROUNDS = 6;

/**
 * The write path end to end. `set()` on distinct keys (one at a time, then 64 in flight) against a
 * floor of the bare lock recipe on node-zookeeper-client with a plain `SET` while held; and 64
 * concurrent writers of one hot key with write coalescing against the same cache without it.
 */
export async function runWritePathBench(ctx: BenchContext): Promise<BenchSection> {
  const connect = (namespace: string, coalesceWrites: boolean) =>
    OrderedCache.connect<{ id: number }>({
      zookeeper: { connectString: ctx.zookeeper, sessionTimeoutMs: 10_000 },
      redis: ctx.redis,
      namespace,
      coalesceWrites,
      tracing: false,
    });
  const coalesced = await connect('bench-write-path', true);
  const plain = await connect('bench-write-path-plain', false);
  const zk = await bare(ctx.zookeeper);
  const redis = new Redis(ctx.redis, { lazyConnect: true, maxRetriesPerRequest: 1 });
  await redis.connect();
  const floorRoot = '/bench-write-path-floor';
  try {
    for (let k = 0; k < KEYS; k++) await ensure(zk, `${floorRoot}/k${k}`);
    let ts = 1n; // one clock for every side: every write is the newest
    const value = (i: number) => ({ id: i });
    const floorSet = (i: number) =>
      bareCycle(zk, `${floorRoot}/k${i % KEYS}`, () => redis.set(`floor:k${i % KEYS}`, JSON.stringify(value(i))));
    const ourSet = (i: number) => coalesced.set(`k${i % KEYS}`, value(i), ts++);
    const sequentialOps = Math.max(100, Math.round(400 * ctx.scale));
    const concurrentOps = Math.max(500, Math.round(2_000 * ctx.scale));
    const sequential = await compareInRounds(sequentialOps, 1, ROUNDS, floorSet, ourSet);
    const concurrent = await compareInRounds(concurrentOps, IN_FLIGHT, ROUNDS, floorSet, ourSet);
    // The epoch fence's cost on an explicit write: the token taken once per key (as a caller does
    // before its database read), then set() with it (one GET more inside the script) vs without.
    const epochs = await Promise.all(Array.from({ length: KEYS }, (_, k) => plain.epoch(`e${k}`)));
    const fenced = await compareInRounds(
      sequentialOps,
      1,
      ROUNDS,
      (i) => plain.set(`e${i % KEYS}`, value(i), ts++),
      (i) => plain.set(`e${i % KEYS}`, value(i), ts++, { epoch: epochs[i % KEYS]! }),
    );
    const hotOps = Math.max(200, Math.round(600 * ctx.scale));
    const hot = await compareInRounds(
      hotOps,
      IN_FLIGHT,
      ROUNDS,
      (i) => plain.set('hot', value(i), ts++),
      (i) => coalesced.set('hot', value(i), ts++),
    );
    const floorNote = `median of ${ROUNDS} alternating rounds; floor: the bare lock recipe on node-zookeeper-client (create, list, delete) with a plain SET while held, same keys`;
    return {
      title: 'Write path: set() end to end, and write coalescing on a hot key',
      rows: [
        comparedRow(`set() one at a time, ${KEYS} keys, vs bare recipe + SET`, sequential, 'ops/s', 0.9, floorNote),
        comparedRow(
          `set() ${IN_FLIGHT} in flight, ${KEYS} keys, vs bare recipe + SET`,
          concurrent,
          'ops/s',
          0.9,
          floorNote,
        ),
        comparedRow(
          `set() with an epoch vs without, one at a time, ${KEYS} keys`,
          fenced,
          'ops/s',
          0.9,
          `median of ${ROUNDS} alternating rounds; floor: the same cache's set() without options.epoch (the script then reads no epoch key)`,
        ),
        comparedRow(
          `${IN_FLIGHT} concurrent set() of one key, coalesced vs not`,
          hot,
          'calls/s',
          10,
          `median of ${ROUNDS} alternating rounds of ${hotOps} calls, increasing timestamps; floor: the same cache with coalesceWrites: false (one lock cycle and one script call per call)`,
        ),
      ],
    };
  } finally {
    await Promise.all([coalesced.close(), plain.close()]);
    zk.close();
    redis.disconnect();
  }
}
