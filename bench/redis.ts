import { Redis } from 'ioredis';
import { jsonCodec } from '../src/codec/index.js';
import { OrderedStore } from '../src/redis/index.js';
import { compareInRounds as compareAt, percentiles, type Compared } from './measure.js';
import type { BenchRow, BenchSection, BenchSectionRunner } from './types.js';

const IN_FLIGHT = 64;
const KEYS = 1_000;
const ROUNDS = 6; // floor/ours pairs, back to back

const compareInRounds = (ops: number, floorOp: (i: number) => Promise<unknown>, ourOp: (i: number) => Promise<unknown>): Promise<Compared> =>
  compareAt(ops, IN_FLIGHT, ROUNDS, floorOp, ourOp);

function row(name: string, c: Compared, target: number, note: string): BenchRow {
  return {
    name,
    value: Math.round(c.oursOpsPerSec),
    unit: 'ops/s',
    floor: Math.round(c.floorOpsPerSec),
    ratio: Number(c.ratio.toFixed(3)),
    target: `≥ ${target}×`,
    met: c.ratio >= target,
    note,
  };
}

/**
 * The store's two hot paths against the bare Redis command doing the same I/O, same run, same
 * concurrency (64 in flight, one connection): `read` (one HMGET + decode) vs a raw HMGET, and the
 * compare-script write vs a plain SET of the same encoded bytes.
 */
export const runRedisBench: BenchSectionRunner = async (ctx) => {
  const redis = new Redis(ctx.redis, { maxRetriesPerRequest: 1, connectTimeout: 5_000 });
  try {
    const store = new OrderedStore(redis, { namespace: 'bench', ttlMs: 600_000, retentionMs: 600_000, writerLabel: 'bench' });
    const ops = Math.max(1_000, Math.round(8_000 * ctx.scale)); // per round
    const keyOf = (i: number) => `product:${i % KEYS}`;
    const redisKeys = Array.from({ length: KEYS }, (_, i) => store.redisKeyOf(`product:${i}`));
    const valueOf = (i: number) => ({ id: i % KEYS, price: 4999, name: 'A reasonably typical product name', tags: ['a', 'b'] });
    const fields8 = ['zkoc', 'k', 'ts', 'v', 'exp', 'at', 'by', 'ret'];

    for (let i = 0; i < KEYS; i++) await store.write(keyOf(i), valueOf(i), 1);
    const read = await compareInRounds(
      ops,
      (i) => redis.hmgetBuffer(redisKeys[i % KEYS]!, ...fields8),
      (i) => store.read(keyOf(i)),
    );

    // The same, against a raw HMGET that also decodes the value as any real caller must: the store's own overhead.
    const readDecoded = await compareInRounds(
      ops,
      async (i) => {
        const fields = await redis.hmgetBuffer(redisKeys[i % KEYS]!, ...fields8);
        return JSON.parse(fields[3]!.toString('utf8'));
      },
      (i) => store.read(keyOf(i)),
    );

    // Every write is a real 'written' (increasing timestamps); the floor SETs the same bytes on other keys.
    let ts = 2n;
    const encoded = jsonCodec.encode(valueOf(0));
    const write = await compareInRounds(
      ops,
      (i) => redis.set(`bench:plain:${i % KEYS}`, encoded),
      (i) => store.write(keyOf(i), valueOf(i), ts++),
    );

    return {
      title: 'Redis entry store (64 in flight, one connection)',
      rows: [
        row('store.read (HMGET + decode) vs raw HMGET', read, 0.9, `${ROUNDS}×${ops} ops each; ratio = median per-round ratio`),
        row('store.read vs raw HMGET + JSON.parse of v', readDecoded, 0.9, 'informational: the floor decodes the value too'),
        row('store.write (compare script) vs plain SET', write, 0.7, `${ROUNDS}×${ops} ops each; every write 'written'`),
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
