// Not a benchmark: the (b) row of bench/observability.ts split up, several caches side by side in
// one process (rotating order per round), each round's client CPU split into user and system time
// and the read/write syscalls per get (/proc/self/io), to see where a CPU difference comes from.
// `node .build/bench/ab-hit-path.js [--rounds=40] [--ctx=fresh|none]`
import { readFileSync } from 'node:fs';
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
import { measure, median } from './measure.js';
import { requestContext } from './observability-context.js';

const arg = (name: string, fallback: string) =>
  process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3) ?? fallback;
const ROUNDS = Number(arg('rounds', '40'));
const OPS = 3_000;
const ctxMode = arg('ctx', 'fresh');
context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
const connect = (tracing: boolean) =>
  OrderedCache.connect<{ id: number }>({
    zookeeper: { connectString: process.env.ZKOC_ZK ?? '127.0.0.1:2181' },
    redis: process.env.ZKOC_REDIS ?? 'redis://127.0.0.1:6379',
    namespace: 'count-hit-path',
    tracing,
  });
const caches: [string, OrderedCache<{ id: number }>][] = [
  ['off', await connect(false)],
  ['off2', await connect(false)],
  ['metrics', await connect(false)],
  ['tracing', await connect(true)],
  ['both', await connect(true)],
];
registerMetrics(caches[2]![1], { registry: new Registry() });
registerMetrics(caches[4]![1], { registry: new Registry() });
const keys = Array.from({ length: 1_000 }, (_, i) => `product:${i}`);
const off = caches[0]![1];
if ((await off.peek(keys.at(-1)!))?.isFresh !== true)
  for (const [i, key] of keys.entries()) await off.set(key, { id: i }, BigInt(i + 1));
const neverLoad = () => Promise.reject(new Error('a hit must not load'));
const every = Number(arg('every', '100'));
const opOf = (cache: OrderedCache<{ id: number }>) => {
  const hit = (i: number) => cache.get(keys[i % keys.length]!, neverLoad);
  return ctxMode === 'none' ? hit : (i: number) => context.with(requestContext(i, i % every === 0), () => hit(i));
};
const provider = new BasicTracerProvider({
  sampler: new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(0.01) }),
  spanProcessors: [new BatchSpanProcessor({ export: (_s, done) => done({ code: 0 }), shutdown: async () => {} })],
});
trace.setGlobalTracerProvider(provider);
await new Promise((resolve) => setTimeout(resolve, 1_100));

const io = () => {
  const text = readFileSync('/proc/self/io', 'utf8');
  const field = (name: string) => Number(new RegExp(`${name}: (\\d+)`).exec(text)![1]);
  return { r: field('syscr'), w: field('syscw') };
};
type Sample = { user: number; sys: number; r: number; w: number; ops: number };
const samples = new Map<string, Sample[]>(caches.map(([name]) => [name, []]));
const ops = caches.map(([name, cache]) => [name, opOf(cache)] as const);
for (const [, op] of ops) await measure(OPS, 64, op);
for (let round = 0; round < ROUNDS; round++) {
  for (let k = 0; k < ops.length; k++) {
    const [name, op] = ops[(round + k) % ops.length]!;
    const io0 = io();
    const cpu0 = process.cpuUsage();
    const { opsPerSec } = await measure(OPS, 64, op);
    const cpu = process.cpuUsage(cpu0);
    const io1 = io();
    samples.get(name)!.push({
      user: cpu.user / OPS,
      sys: cpu.system / OPS,
      r: (io1.r - io0.r) / OPS,
      w: (io1.w - io0.w) / OPS,
      ops: opsPerSec,
    });
  }
}
const base = samples.get('off')!;
for (const [name, list] of samples) {
  const m = (f: (s: Sample) => number) => median(list.map(f));
  const ratio = median(list.map((s, i) => (base[i]!.user + base[i]!.sys) / (s.user + s.sys)));
  const tput = median(list.map((s, i) => s.ops / base[i]!.ops));
  process.stdout.write(
    `${name.padEnd(8)} user ${m((s) => s.user).toFixed(2)} sys ${m((s) => s.sys).toFixed(2)} µs/get  syscr ${m((s) => s.r).toFixed(3)} syscw ${m((s) => s.w).toFixed(3)}  CPU ratio vs off ${ratio.toFixed(3)}  throughput ratio ${tput.toFixed(3)}\n`,
  );
}
await provider.shutdown();
await Promise.all(caches.map(([, cache]) => cache.close()));
