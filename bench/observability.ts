import { type Context, context, ROOT_CONTEXT, TraceFlags, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import {
  AlwaysOnSampler,
  BasicTracerProvider,
  BatchSpanProcessor,
  ParentBasedSampler,
  type ReadableSpan,
  type Sampler,
  type SpanExporter,
  TraceIdRatioBasedSampler,
} from '@opentelemetry/sdk-trace-base';
import { Registry } from 'prom-client';
import { OrderedCache } from '../src/cache/ordered-cache.js';
import { registerMetrics } from '../src/metrics/index.js';
import { alternate, type Compared, comparedRow, type Measured, measure, median } from './measure.js';
import type { BenchRow, BenchSectionRunner } from './types.js';

const IN_FLIGHT = 64;
const ROUNDS = 30;

// Spans go nowhere: the cost measured is the library's and the SDK's, not an exporter's network.
const DROP: SpanExporter = {
  export: (_spans: ReadableSpan[], done) => done({ code: 0 }),
  shutdown: async () => {},
};

/**
 * The hit path with observability on against itself with it off, side by side on one Redis, in the
 * configurations applications run:
 * - the same cache twice (A/A): the spread the machine alone gives a ratio;
 * - (a) metrics (registerMetrics on a prom-client registry), no SDK;
 * - (b) metrics and tracing with an OpenTelemetry SDK sampling 1 % of traces (ParentBased(TraceIdRatio)),
 *   each get inside an application's request trace (1 in 100 of them sampled), as in a server;
 * - (c) the same SDK with every get outside any trace (a worker, a script): a hit makes no span;
 * - (d) AlwaysOn, each get inside a sampled request trace: every hit a real span, recorded and
 *   handed to the processor. Its cost is reported, not held to the target.
 * Each note adds the client's CPU time per get (process.cpuUsage), which a noisy machine moves far
 * less than throughput.
 */
export const runObservabilityBench: BenchSectionRunner = async (ctx) => {
  const connect = (tracing: boolean) =>
    OrderedCache.connect<{ id: number }>({
      zookeeper: { connectString: ctx.zookeeper, sessionTimeoutMs: 10_000 },
      redis: ctx.redis,
      namespace: 'bench-observe',
      tracing,
    });
  const off = await connect(false);
  const twin = await connect(false);
  const on = await connect(true);
  registerMetrics(on, { registry: new Registry() });
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  const rows: BenchRow[] = [];
  try {
    const keys = Array.from({ length: 1_000 }, (_, i) => `product:${i}`);
    for (const [i, key] of keys.entries()) await off.set(key, { id: i }, BigInt(i + 1));
    const neverLoad = () => Promise.reject(new Error('bench: a hit must not load'));
    const ops = Math.max(1_000, Math.round(3_000 * ctx.scale));
    const hit = (cache: OrderedCache<{ id: number }>) => (i: number) => cache.get(keys[i % keys.length]!, neverLoad);
    // The application's request traces, 1 in `every` sampled; both sides run in them alike. A server
    // builds each request's context as the request arrives (fresh ids, fresh objects): `fresh`.
    const inFreshRequests = (every: number) => (op: (i: number) => Promise<unknown>) => (i: number) =>
      context.with(requestContext(i, i % every === 0), () => op(i));
    // The same 1,000 contexts reused round robin: no server does this, and it costs the traced side
    // 1-2 µs per get in cold lookups of long-lived objects (reported, not the target).
    const inRequests = (every: number) => {
      const requests = Array.from({ length: 1_000 }, (_, i) => requestContext(i, i % every === 0));
      return (op: (i: number) => Promise<unknown>) => (i: number) =>
        context.with(requests[i % requests.length]!, () => op(i));
    };
    const note = `${IN_FLIGHT} in flight, 1,000 keys, median of ${ROUNDS} alternating rounds of ${ops}`;
    const row = async (
      name: string,
      plain: (i: number) => Promise<unknown>,
      observed: typeof plain,
      more = '',
      targeted = true,
    ) => {
      const { compared, cpu } = await compareWithCpu(ops, plain, observed);
      const measured = comparedRow(name, compared, 'ops/s', 0.9, `${note}${more}; ${cpu}`);
      // The A/A row and (d) are reported, not held to the target.
      rows.push(targeted ? measured : { ...measured, target: 'reported', met: undefined });
    };
    await row('A/A: hit-path get() against the same, no metrics or tracing', hit(off), hit(twin), '', false);
    await row('(a) hit-path get() with metrics vs without', hit(off), hit(on), '; no OpenTelemetry SDK registered');
    const sdk = '; OpenTelemetry SDK, BatchSpanProcessor, spans dropped by a no-op exporter';
    await withSdk(new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(0.01) }), async () => {
      const fresh1 = inFreshRequests(100);
      await row(
        '(b) hit-path get() with metrics and tracing (ParentBased 1 %, in request traces) vs without either',
        fresh1(hit(off)),
        fresh1(hit(on)),
        `${sdk}; each get inside its own request's span context, built as it arrives, 1 in 100 sampled`,
      );
      const reused1 = inRequests(100);
      await row(
        "(b') the same, 1,000 request contexts reused round robin",
        reused1(hit(off)),
        reused1(hit(on)),
        `${sdk}; long-lived contexts, looked up cold`,
        false,
      );
      await row(
        '(c) hit-path get() with metrics and tracing (ParentBased 1 %, no request trace) vs without either',
        hit(off),
        hit(on),
        `${sdk}; no active span: a hit makes no span`,
      );
    });
    await withSdk(new AlwaysOnSampler(), async () => {
      const sampledAll = inRequests(1);
      await row(
        '(d) hit-path get() with metrics and tracing (AlwaysOn, in sampled request traces) vs without either',
        sampledAll(hit(off)),
        sampledAll(hit(on)),
        `${sdk}; every hit a recorded span`,
        false,
      );
    });
  } finally {
    context.disable();
    await Promise.all([off.close(), twin.close(), on.close()]);
  }
  return { title: 'Observability: the hit path with metrics and tracing on', rows };
};

/** A request's span context as an instrumented server would have made active (remote, as if propagated). */
function requestContext(i: number, sampled: boolean): Context {
  const traceId = (i + 1).toString(16).padStart(32, '0');
  const spanId = (i + 1).toString(16).padStart(16, '0');
  const traceFlags = sampled ? TraceFlags.SAMPLED : TraceFlags.NONE;
  return trace.setSpanContext(ROOT_CONTEXT, { traceId, spanId, traceFlags, isRemote: true });
}

async function withSdk(sampler: Sampler, fn: () => Promise<void>): Promise<void> {
  // The batching processor, as in production (the simple one exports each span as it ends: a test tool).
  const provider = new BasicTracerProvider({ sampler, spanProcessors: [new BatchSpanProcessor(DROP)] });
  trace.setGlobalTracerProvider(provider);
  await new Promise((resolve) => setTimeout(resolve, 1_100)); // the cache re-checks for an SDK once a second
  try {
    await fn();
  } finally {
    trace.disable();
    await provider.shutdown();
  }
}

/** {@link alternate} over rounds that also record the process's CPU time per call on each side. */
async function compareWithCpu(
  ops: number,
  plain: (i: number) => Promise<unknown>,
  observed: (i: number) => Promise<unknown>,
): Promise<{ compared: Compared; cpu: string }> {
  const cpu = { plain: [] as number[], observed: [] as number[] };
  const round = (op: (i: number) => Promise<unknown>, into: number[]) => async (): Promise<Measured> => {
    const before = process.cpuUsage();
    const measured = await measure(ops, IN_FLIGHT, op);
    const used = process.cpuUsage(before);
    into.push((used.user + used.system) / ops);
    return measured;
  };
  await measure(ops, IN_FLIGHT, plain); // warm-up: the JIT and the connections
  await measure(ops, IN_FLIGHT, observed);
  const compared = await alternate(ROUNDS, round(plain, cpu.plain), round(observed, cpu.observed));
  const [mine, floor] = [median(cpu.observed), median(cpu.plain)];
  const ratio = median(cpu.plain.map((p, i) => p / cpu.observed[i]!));
  return {
    compared,
    cpu: `client CPU per get ${mine.toFixed(1)} µs vs ${floor.toFixed(1)} µs (CPU ratio ${ratio.toFixed(2)}×)`,
  };
}
