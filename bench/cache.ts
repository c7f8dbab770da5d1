import { Redis } from 'ioredis';
import { OrderedCache } from '../src/cache/ordered-cache.js';
import { bufferCodec, type Codec } from '../src/codec/index.js';
import { READ_FIELDS } from '../src/redis/entry-fields.js';
import { runCacheWriteRows } from './cache-writes.js';
import { type Compared, comparedRow, compareInRounds } from './measure.js';
import { runNearCacheRows } from './near-cache.js';
import type { BenchSection, BenchSectionRunner } from './types.js';

const IN_FLIGHT = 64;
const ROUNDS = 30;
// The fields a hit reads (OrderedStore.readForServing: all eight); the floor fetches the same.
const FIELDS = READ_FIELDS;

/**
 * The cache facade's hot path against its raw floor, and what a stampede costs:
 * - hit-path `get()` (one HMGET + decode + freshness check) vs a raw HMGET of the same fields with
 *   the same decoding, on an auto-pipelined ioredis connection without a command timeout (the best
 *   a client can do): 64 in flight on 1,000 distinct keys (JSON and Buffer codecs), 64 in flight on
 *   one hot key (ours coalesces them into one read), and one at a time; and 64 in flight whose
 *   calls each start in a callback of their own (a setImmediate first, on both sides);
 * - the near cache on vs off, side by side (bench/near-cache.ts);
 * - `set()`/`invalidate()` with and without auto-pipelining (bench/cache-writes.ts);
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
  const raw = new Redis(ctx.redis, { lazyConnect: true, enableAutoPipelining: true, maxRetriesPerRequest: 1 });
  await raw.connect();
  // One command per write is the best a client can do one at a time: the sequential floor.
  const plain = new Redis(ctx.redis, { lazyConnect: true, maxRetriesPerRequest: 1 });
  await plain.connect();
  const rows: BenchSection['rows'] = [];
  try {
    const keys = Array.from({ length: 1_000 }, (_, i) => `product:${i}`);
    for (const [i, key] of keys.entries()) {
      await cache.set(key, { id: i, price: 100 + i }, BigInt(i + 1));
      await bytesCache.set(key, Buffer.from(JSON.stringify({ id: i, price: 100 + i })), BigInt(i + 1));
    }
    const neverLoad = () => Promise.reject(new Error('bench: a hit must not load'));
    const ops = Math.max(1_000, Math.round(4_000 * ctx.scale));
    const redisKeyOf = cache.store.redisKeyOf.bind(cache.store);
    const parse = (fields: (Buffer | null)[]) => JSON.parse(fields[3]!.toString());
    const get = (key: string) => cache.get(key, neverLoad);
    // Each pair does the same codec work on both sides, so the ratio is what the library adds.
    const hitJson = await compareHit(ops, IN_FLIGHT, raw, redisKeyOf, keys, parse, get);
    const hitBytes = await compareHit(
      ops,
      IN_FLIGHT,
      raw,
      bytesCache.store.redisKeyOf.bind(bytesCache.store),
      keys,
      (fields) => fields[3],
      (key) => bytesCache.get(key, neverLoad),
    );
    // Callers that each issue their get() from a callback of their own (requests arriving one by
    // one), not all in the turn one batch of replies resumed: what adaptive batching is for.
    const ownCallback =
      <A extends unknown[]>(fn: (...args: A) => Promise<unknown>) =>
      async (...args: A) => {
        await new Promise((resolve) => setImmediate(resolve));
        return fn(...args);
      };
    const hitSplit = await compareHit(ops, IN_FLIGHT, raw, redisKeyOf, keys, parse, ownCallback(get), (read) =>
      ownCallback(read),
    );
    const hot = ['product:7'];
    const hitHot = await compareHit(ops, IN_FLIGHT, raw, redisKeyOf, hot, parse, get);
    const sequentialOps = Math.max(300, Math.round(1_500 * ctx.scale));
    const hitSequential = await compareHit(sequentialOps, 1, plain, redisKeyOf, keys, parse, get);
    const note = `${IN_FLIGHT} in flight, one connection, median of ${ROUNDS} alternating rounds of ${ops}`;
    const floorNote = 'floor: raw ioredis with enableAutoPipelining, no command timeout';
    rows.push(
      comparedRow(
        'hit-path get() vs raw HMGET + JSON.parse, 1,000 keys',
        hitJson,
        'ops/s',
        0.9,
        `${note}; ${floorNote}`,
      ),
    );
    rows.push(comparedRow('hit-path get() vs raw HMGET, Buffer codec, 1,000 keys', hitBytes, 'ops/s', 0.9, note));
    rows.push(
      comparedRow(
        'hit-path get() vs raw HMGET + JSON.parse, 1,000 keys, each call from its own callback',
        hitSplit,
        'ops/s',
        0.9,
        `${note}; each call on both sides first awaits a setImmediate`,
      ),
    );
    rows.push(
      comparedRow(
        'hit-path get() vs raw HMGET + JSON.parse, one hot key',
        hitHot,
        'ops/s',
        1,
        `${note}; ours shares one HMGET among the reads in flight, the floor sends each`,
      ),
    );
    rows.push(
      comparedRow(
        'hit-path get() vs raw HMGET + JSON.parse, one at a time',
        hitSequential,
        'ops/s',
        0.9,
        `1 in flight, median of ${ROUNDS} alternating rounds of ${sequentialOps}; floor: raw ioredis without auto-pipelining`,
      ),
    );
    rows.push(...(await runNearCacheRows(ctx)));
    rows.push(...(await runCacheWriteRows(ctx)));

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
    plain.disconnect();
    await Promise.all([cache.close(), bytesCache.close()]);
  }
  return { title: 'Cache facade: hit path, writes and stampede', rows };
};

/** get() against the same HMGET (the fields get() reads) followed by `decode`, round robin over `keys`. */
function compareHit(
  ops: number,
  inFlight: number,
  raw: Redis,
  redisKeyOf: (key: string) => string,
  keys: string[],
  decode: (fields: (Buffer | null)[]) => unknown,
  get: (key: string) => Promise<unknown>,
  wrapFloor: (read: (i: number) => Promise<unknown>) => (i: number) => Promise<unknown> = (read) => read,
): Promise<Compared> {
  const redisKeys = keys.map(redisKeyOf);
  return compareInRounds(
    ops,
    inFlight,
    ROUNDS,
    wrapFloor(async (i) => decode(await raw.hmgetBuffer(redisKeys[i % redisKeys.length]!, ...FIELDS))),
    (i) => get(keys[i % keys.length]!),
  );
}
