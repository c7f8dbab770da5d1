import { Redis } from 'ioredis';
import { OrderedCache } from '../src/cache/OrderedCache.js';
import { compareInRounds } from './measure.js';
import type { BenchSection, BenchSectionRunner } from './types.js';

const IN_FLIGHT = 64;
const ROUNDS = 6;

/**
 * The cache facade's hot path against its raw floor, and what a stampede costs:
 * - hit-path `get()` (one HMGET + decode + freshness check) vs a raw HMGET of the same fields;
 * - a stampede of 4 processes' worth of clients (4 caches, each its own ZooKeeper session and Redis
 *   connection) × 125 concurrent `get()` on one cold key: loader runs and lock znodes, against what
 *   plain cache-aside would do (every caller loads).
 */
export const runCacheBench: BenchSectionRunner = async (ctx) => {
  const connect = (namespace: string) =>
    OrderedCache.connect<{ id: number; price: number }>({
      zookeeper: { connectString: ctx.zookeeper, sessionTimeoutMs: 10_000 },
      redis: ctx.redis,
      namespace,
    });
  const cache = await connect('bench-cache');
  const raw = new Redis(ctx.redis, { lazyConnect: true });
  await raw.connect();
  const rows: BenchSection['rows'] = [];
  try {
    const keys = Array.from({ length: 1_000 }, (_, i) => `product:${i}`);
    for (const [i, key] of keys.entries()) await cache.set(key, { id: i, price: 100 + i }, BigInt(i + 1));
    const redisKeys = keys.map((k) => cache.store.redisKeyOf(k));
    const neverLoad = () => Promise.reject(new Error('bench: a hit must not load'));
    const ops = Math.max(2_000, Math.round(20_000 * ctx.scale));
    const hit = await compareInRounds(
      ops,
      IN_FLIGHT,
      ROUNDS,
      (i) => raw.hmgetBuffer(redisKeys[i % redisKeys.length]!, 'zkoc', 'k', 'ts', 'v', 'exp', 'at', 'by', 'ret'),
      (i) => cache.get(keys[i % keys.length]!, neverLoad),
    );
    const hitDecoded = await compareInRounds(
      ops,
      IN_FLIGHT,
      ROUNDS,
      async (i) => {
        const fields = await raw.hmgetBuffer(redisKeys[i % redisKeys.length]!, 'zkoc', 'k', 'ts', 'v', 'exp', 'at', 'by', 'ret');
        return JSON.parse(fields[3]!.toString());
      },
      (i) => cache.get(keys[i % keys.length]!, neverLoad),
    );
    rows.push({
      name: 'hit-path get() vs raw HMGET',
      value: Math.round(hit.oursOpsPerSec),
      unit: 'ops/s',
      floor: Math.round(hit.floorOpsPerSec),
      ratio: Number(hit.ratio.toFixed(3)),
      target: '≥ 0.9×',
      met: hit.ratio >= 0.9,
      note: `${IN_FLIGHT} in flight, one connection, median of ${ROUNDS} alternating rounds`,
    });
    rows.push({
      name: 'hit-path get() vs raw HMGET + JSON.parse',
      value: Math.round(hitDecoded.oursOpsPerSec),
      unit: 'ops/s',
      floor: Math.round(hitDecoded.floorOpsPerSec),
      ratio: Number(hitDecoded.ratio.toFixed(3)),
      note: 'informational: the floor decodes the value too, as get() must',
    });

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
      rows.push({ name: 'stampede: loader runs for 500 get() of one cold key', value: loads, unit: 'loads', floor: 500, ratio: loads / 500, target: '= 1 load', met: loads === 1, note: 'floor: plain cache-aside, where every caller loads' });
      rows.push({ name: 'stampede: lock znodes created', value: znodes, unit: 'znodes', target: '≤ 1 per process (4)', met: znodes <= 4 });
    } finally {
      await Promise.all(processes.map((c) => c.close()));
    }
  } finally {
    raw.disconnect();
    await cache.close();
  }
  return { title: 'Cache facade: hit path and stampede', rows };
};
