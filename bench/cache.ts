import { Redis } from 'ioredis';
import { OrderedCache } from '../src/cache/ordered-cache.js';
import { bufferCodec, type Codec } from '../src/codec/index.js';
import { type Compared, comparedRow, compareInRounds } from './measure.js';
import type { BenchSection, BenchSectionRunner } from './types.js';

const IN_FLIGHT = 64;
const ROUNDS = 30;
// The fields a hit reads (OrderedStore.readForServing); the floor fetches the same.
const FIELDS = ['zkoc', 'k', 'ts', 'v', 'exp'];

/**
 * The cache facade's hot path against its raw floor, and what a stampede costs:
 * - hit-path `get()` (one HMGET + decode + freshness check) vs a raw HMGET of the same fields
 *   with the same decoding (JSON, and the Buffer codec that decodes nothing);
 * - a stampede of 4 processes' worth of clients (4 caches, each its own ZooKeeper session and Redis
 *   connection) × 125 concurrent `get()` on one cold key: loader runs and lock znodes, against what
 *   plain cache-aside would do (every caller loads).
 */
export const runCacheBench: BenchSectionRunner = async (ctx) => {
  const connect = <T>(namespace: string, codec?: Codec<T>) =>
    OrderedCache.connect<T>({
      zookeeper: { connectString: ctx.zookeeper, sessionTimeoutMs: 10_000 },
      redis: ctx.redis,
      namespace,
      ...(codec ? { codec } : {}),
    });
  const cache = await connect<{ id: number; price: number }>('bench-cache');
  const bytesCache = await connect('bench-cache-bytes', bufferCodec);
  // The floor's connection is configured as the cache configures its own (a 5 s per-command
  // deadline, one retry), so the ratio is the library's code and nothing else.
  const raw = new Redis(ctx.redis, { lazyConnect: true, commandTimeout: 5_000, maxRetriesPerRequest: 1 });
  await raw.connect();
  const rows: BenchSection['rows'] = [];
  try {
    const keys = Array.from({ length: 1_000 }, (_, i) => `product:${i}`);
    for (const [i, key] of keys.entries()) {
      await cache.set(key, { id: i, price: 100 + i }, BigInt(i + 1));
      await bytesCache.set(key, Buffer.from(JSON.stringify({ id: i, price: 100 + i })), BigInt(i + 1));
    }
    const neverLoad = () => Promise.reject(new Error('bench: a hit must not load'));
    const ops = Math.max(1_000, Math.round(4_000 * ctx.scale));
    // Each pair does the same codec work on both sides, so the ratio is what the library adds.
    const hitJson = await compareHit(
      ops,
      raw,
      cache.store.redisKeyOf.bind(cache.store),
      keys,
      (fields) => JSON.parse(fields[3]!.toString()),
      (key) => cache.get(key, neverLoad),
    );
    const hitBytes = await compareHit(
      ops,
      raw,
      bytesCache.store.redisKeyOf.bind(bytesCache.store),
      keys,
      (fields) => fields[3],
      (key) => bytesCache.get(key, neverLoad),
    );
    const note = `${IN_FLIGHT} in flight, one connection, median of ${ROUNDS} alternating rounds of ${ops}`;
    rows.push(comparedRow('hit-path get() vs raw HMGET + JSON.parse (JSON codec)', hitJson, 'ops/s', 0.9, note));
    rows.push(comparedRow('hit-path get() vs raw HMGET (Buffer codec: no decoding)', hitBytes, 'ops/s', 0.9, note));

    const processes = await Promise.all(Array.from({ length: 4 }, () => connect('bench-stampede')));
    try {
      let loads = 0;
      let znodes = 0;
      for (const c of processes) c.events.on('lock-acquired', () => (znodes += 1));
      const loader = async () => {
        loads += 1;
        await new Promise((r) => setTimeout(r, 50)); // a database read
        return { value: { id: 1, price: 1 }, timestamp: 1n };
      };
      await Promise.all(processes.flatMap((c) => Array.from({ length: 125 }, () => c.get('product:cold', loader))));
      rows.push({
        name: 'stampede: loader runs for 500 get() of one cold key',
        value: loads,
        unit: 'loads',
        floor: 500,
        ratio: loads / 500,
        target: '= 1 load',
        met: loads === 1,
        note: 'floor: plain cache-aside, where every caller loads',
      });
      rows.push({
        name: 'stampede: lock znodes created',
        value: znodes,
        unit: 'znodes',
        target: '≤ 1 per process (4)',
        met: znodes <= 4,
      });
    } finally {
      await Promise.all(processes.map((c) => c.close()));
    }
  } finally {
    raw.disconnect();
    await Promise.all([cache.close(), bytesCache.close()]);
  }
  return { title: 'Cache facade: hit path and stampede', rows };
};

/** get() on a warm key against the same HMGET (the fields get() reads) followed by `decode`. */
function compareHit(
  ops: number,
  raw: Redis,
  redisKeyOf: (key: string) => string,
  keys: string[],
  decode: (fields: (Buffer | null)[]) => unknown,
  get: (key: string) => Promise<unknown>,
): Promise<Compared> {
  const redisKeys = keys.map(redisKeyOf);
  return compareInRounds(
    ops,
    IN_FLIGHT,
    ROUNDS,
    async (i) => decode(await raw.hmgetBuffer(redisKeys[i % redisKeys.length]!, ...FIELDS)),
    (i) => get(keys[i % keys.length]!),
  );
}
