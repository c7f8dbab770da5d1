// Not a benchmark: counts what one hit-path get() does in each observability configuration of
// bench/observability.ts (promises created, context.active() calls, performance.now() calls, Map
// lookups), so a difference between the sides of a row shows as a count, which a noisy machine
// cannot move. Run against the services: `node .build/bench/count-hit-path.js` (env ZKOC_ZK, ZKOC_REDIS).
import { createHook } from 'node:async_hooks';
import { context, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import {
  BasicTracerProvider,
  BatchSpanProcessor,
  ParentBasedSampler,
  TraceIdRatioBasedSampler,
} from '@opentelemetry/sdk-trace-base';
import { Registry } from 'prom-client';
import { OrderedCache } from '../src/cache/ordered-cache.js';
import { registerMetrics } from '../src/metrics/index.js';
import { measure } from './measure.js';
import { requestContext } from './observability-context.js';

const OPS = 3_200;
// `--run=<configuration> --gets=N`: only N gets of one configuration, nothing counted or patched,
// for an instruction count under valgrind (two values of N, subtracted, give the instructions per get).
const runArg = process.argv.find((a) => a.startsWith('--run='))?.slice('--run='.length);
const gets = Number(process.argv.find((a) => a.startsWith('--gets='))?.slice('--gets='.length) ?? OPS);
const counts = { promises: 0, active: 0, now: 0, mapGet: 0 };
let counting = false;
const manager = new AsyncLocalStorageContextManager().enable();
if (runArg === undefined) {
  createHook({
    init(_id, type) {
      if (counting && type === 'PROMISE') counts.promises++;
    },
  }).enable();
  const now = performance.now.bind(performance);
  performance.now = () => {
    if (counting) counts.now++;
    return now();
  };
  const mapGet = Map.prototype.get;
  Map.prototype.get = function (this: Map<unknown, unknown>, key: unknown) {
    if (counting) counts.mapGet++;
    return mapGet.call(this, key);
  };
  const active = manager.active.bind(manager);
  manager.active = () => {
    if (counting) counts.active++;
    return active();
  };
}
context.setGlobalContextManager(manager);

const connect = (tracing: boolean) =>
  OrderedCache.connect<{ id: number }>({
    // Generous limits: under valgrind the process runs some 50 times slower.
    zookeeper: { connectString: process.env.ZKOC_ZK ?? '127.0.0.1:2181', connectTimeoutMs: 60_000 },
    redis: process.env.ZKOC_REDIS ?? 'redis://127.0.0.1:6379',
    redisConnectTimeoutMs: 60_000,
    redisCommandTimeoutMs: 60_000,
    namespace: 'count-hit-path',
    tracing,
  });
const off = await connect(false);
const on = await connect(true);
registerMetrics(on, { registry: new Registry() });
const keys = Array.from({ length: 1_000 }, (_, i) => `product:${i}`);
const fresh = async () => (await off.peek(keys.at(-1)!))?.isFresh === true;
if (!(await fresh())) for (const [i, key] of keys.entries()) await off.set(key, { id: i }, BigInt(i + 1));
const neverLoad = () => Promise.reject(new Error('a hit must not load'));
const hit = (cache: OrderedCache<{ id: number }>) => (i: number) => cache.get(keys[i % keys.length]!, neverLoad);
const inRequests =
  (op: (i: number) => Promise<unknown>, every = 100) =>
  (i: number) =>
    context.with(requestContext(i, i % every === 0), () => op(i));

async function count(name: string, op: (i: number) => Promise<unknown>): Promise<void> {
  await measure(OPS, 64, op); // warm
  for (const k of Object.keys(counts) as (keyof typeof counts)[]) counts[k] = 0;
  counting = true;
  await measure(OPS, 64, op);
  counting = false;
  const per = (n: number) => (n / OPS).toFixed(2);
  process.stdout.write(
    `${name.padEnd(44)} promises ${per(counts.promises)}  active() ${per(counts.active)}  now() ${per(counts.now)}  Map.get ${per(counts.mapGet)}\n`,
  );
}

if (runArg !== undefined) {
  const provider = new BasicTracerProvider({
    sampler: new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(0.01) }),
    spanProcessors: [new BatchSpanProcessor({ export: (_s, done) => done({ code: 0 }), shutdown: async () => {} })],
  });
  if (runArg !== 'a-on' && runArg !== 'plain') {
    trace.setGlobalTracerProvider(provider);
    await new Promise((resolve) => setTimeout(resolve, 1_100));
  }
  const ops: Record<string, (i: number) => Promise<unknown>> = {
    plain: hit(off),
    'a-on': hit(on),
    'b-off': inRequests(hit(off)),
    'b-on': inRequests(hit(on)),
    // (b) with no request sampled: what the 1 % of sampled hits (spans buffered until export) cost.
    'b-on-unsampled': inRequests(hit(on), Number.POSITIVE_INFINITY),
    'c-off': hit(off),
    'c-on': hit(on),
  };
  const op = ops[runArg]!;
  // `--warm=<configuration>`: run that one first too, as the bench's other side does in its process.
  const warm = process.argv.find((a) => a.startsWith('--warm='))?.slice('--warm='.length);
  if (warm !== undefined) await measure(3_000, 64, ops[warm]!);
  await measure(3_000, 64, op);
  await measure(gets, 64, op);
  await provider.shutdown();
  await Promise.all([off.close(), on.close()]);
  process.exit(0);
}

await count('no observability, no context', hit(off));
await count('(a) metrics, no SDK', hit(on));
const provider = new BasicTracerProvider({
  sampler: new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(0.01) }),
  spanProcessors: [new BatchSpanProcessor({ export: (_s, done) => done({ code: 0 }), shutdown: async () => {} })],
});
trace.setGlobalTracerProvider(provider);
await new Promise((resolve) => setTimeout(resolve, 1_100)); // the cache looks for an SDK once a second
await count('(b) floor: untraced cache in request contexts', inRequests(hit(off)));
await count('(b) traced cache in request contexts', inRequests(hit(on)));
await count('(c) floor: untraced cache, no request', hit(off));
await count('(c) traced cache, no request', hit(on));
await provider.shutdown();
await Promise.all([off.close(), on.close()]);
