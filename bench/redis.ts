import { Redis } from 'ioredis';
import { jsonCodec } from '../src/codec/index.js';
import { OrderedStore } from '../src/redis/index.js';
import { type Compared, compareInRounds as compareAt, comparedRow, percentiles } from './measure.js';
import type { BenchSection, BenchSectionRunner } from './types.js';

const IN_FLIGHT = 64;
const KEYS = 1_000;
const ROUNDS = 30; // floor/ours pairs, back to back, alternating which goes first

const compareInRounds = (
  ops: number,
  floorOp: (i: number) => Promise<unknown>,
  ourOp: (i: number) => Promise<unknown>,
): Promise<Compared> => compareAt(ops, IN_FLIGHT, ROUNDS, floorOp, ourOp);

/**
 * The store's two hot paths against the bare Redis command doing the same I/O, same run, same
 * concurrency (64 in flight, one auto-pipelined connection), the codec's work on both sides: `read` (one HMGET +
 * decode) vs a raw HMGET + decode, and the compare-script write vs a plain SET, both encoding.
 */
export const runRedisBench: BenchSectionRunner = async (ctx) => {
  // Auto-pipelined, as the library opens its own: the floor is the best a client can do.
  const redis = new Redis(ctx.redis, { maxRetriesPerRequest: 1, connectTimeout: 5_000, enableAutoPipelining: true });
  try {
    const store = new OrderedStore(redis, {
      namespace: 'bench',
      ttlMs: 600_000,
      retentionMs: 600_000,
      writerLabel: 'bench',
    });
    const ops = Math.max(1_000, Math.round(4_000 * ctx.scale)); // per round
    const keyOf = (i: number) => `product:${i % KEYS}`;
    const redisKeys = Array.from({ length: KEYS }, (_, i) => store.redisKeyOf(`product:${i}`));
    const valueFor = (i: number) => ({
      id: i % KEYS,
      price: 4999,
      name: 'A reasonably typical product name',
      tags: ['a', 'b'],
    });
    const fields8 = ['zkoc', 'k', 'ts', 'v', 'exp', 'at', 'by', 'ret'];

    for (let i = 0; i < KEYS; i++) await store.write(keyOf(i), valueFor(i), 1);
    // Both sides decode the value: get() must, and a raw read that skips it serves nobody.
    const read = await compareInRounds(
      ops,
      async (i) => {
        const fields = await redis.hmgetBuffer(redisKeys[i % KEYS]!, ...fields8);
        return jsonCodec.decode(fields[3]!);
      },
      (i) => store.read(keyOf(i)),
    );

    // Every write is a real 'written' (increasing timestamps). Both sides encode the value; the
    // floor SETs it on other keys.
    let ts = 2n;
    const write = await compareInRounds(
      ops,
      (i) => redis.set(`bench:plain:${i % KEYS}`, jsonCodec.encode(valueFor(i))),
      (i) => store.write(keyOf(i), valueFor(i), ts++),
    );

    return {
      title: 'Redis entry store (64 in flight, one auto-pipelined connection)',
      rows: [
        comparedRow(
          'store.read vs raw HMGET, both decoding the value',
          read,
          'ops/s',
          0.9,
          `${ROUNDS}×${ops} ops each; ratio = median per-round ratio`,
        ),
        comparedRow(
          'store.write (compare script) vs plain SET, both encoding',
          write,
          'ops/s',
          0.7,
          `${ROUNDS}×${ops} ops each; every write 'written'`,
        ),
      ],
      latencies: {
        'store.read': percentiles(read.oursLatenciesMs),
        'raw HMGET': percentiles(read.floorLatenciesMs),
        'store.write': percentiles(write.oursLatenciesMs),
        'plain SET': percentiles(write.floorLatenciesMs),
      },
    } satisfies BenchSection;
  } finally {
    redis.disconnect();
  }
};
