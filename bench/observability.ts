import { context, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import {
  AlwaysOnSampler,
  BasicTracerProvider,
  BatchSpanProcessor,
  ParentBasedSampler,
  type Sampler,
  TraceIdRatioBasedSampler,
} from '@opentelemetry/sdk-trace-base';
import { Registry } from 'prom-client';
import { OrderedCache } from '../src/cache/ordered-cache.js';
import { registerMetrics } from '../src/metrics/index.js';
import { alternate, type Compared, comparedRow, type Measured, measure, median } from './measure.js';
import { DROP, requestContext } from './observability-context.js';
import { startObservedSide } from './observability-processes.js';
import type { BenchRow, BenchSectionRunner } from './types.js';

const IN_FLIGHT = 64;
const ROUNDS = 30;

/**
 * The hit path with observability on against itself with it off, side by side on one Redis, in the
 * configurations applications run:
 * - the same cache twice (A/A): the spread the machine alone gives a ratio;
 * - (a) metrics (registerMetrics on a prom-client registry), no SDK;
 * - (b) metrics and tracing with an OpenTelemetry SDK sampling 1 % of traces (ParentBased(TraceIdRatio)),
 *   each get inside an application's request trace (1 in 100 of them sampled), as in a server: each
 *   configuration in processes of its own, as an application runs one (the target row), and both
 *   in this one process, where V8 compiles the library's functions for both (reported);
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
      rows.push(await inProcesses(ctx, ops * 4, `${sdk}; each get inside its own request's span context`));
      const fresh1 = inFreshRequests(100);
      await row(
        "(b'') the same, both configurations in one process",
        fresh1(hit(off)),
        fresh1(hit(on)),
        `${sdk}; each get inside its own request's span context, built as it arrives, 1 in 100 sampled`,
        false,
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

/** Processes per side in row (b): a process's own speed (JIT, placement) is part of what is compared. */
const PROCESSES_PER_SIDE = 3;

/**
 * Row (b) with each configuration in processes of its own (observability-worker.ts), as an
 * application runs one: PROCESSES_PER_SIDE per side, asked for alternating rounds in turn.
 */
async function inProcesses(ctx: Parameters<BenchSectionRunner>[0], ops: number, more: string): Promise<BenchRow> {
  const setup = {
    zookeeper: ctx.zookeeper,
    redis: ctx.redis,
    namespace: 'bench-observe',
    keys: 1_000,
    every: 100,
    inFlight: IN_FLIGHT,
  };
  const plain = await startObservedSide(PROCESSES_PER_SIDE, { ...setup, side: 'plain' });
  try {
    const observed = await startObservedSide(PROCESSES_PER_SIDE, { ...setup, side: 'observed' });
    try {
      const cpu = { plain: [] as number[], observed: [] as number[] };
      const round = (side: typeof plain, into: number[]) => async (): Promise<Measured> => {
        const measured = await side.round(ops);
        into.push(measured.cpuPerOpUs);
        return measured;
      };
      const compared = await alternate(ROUNDS, round(plain, cpu.plain), round(observed, cpu.observed));
      const ratio = median(cpu.plain.map((p, i) => p / cpu.observed[i]!));
      const cpuNote = `client CPU per get ${median(cpu.observed).toFixed(1)} µs vs ${median(cpu.plain).toFixed(1)} µs (CPU ratio ${ratio.toFixed(2)}×)`;
      return comparedRow(
        '(b) hit-path get() with metrics and tracing (ParentBased 1 %, in request traces) vs without either, one configuration per process',
        compared,
        'ops/s',
        0.9,
        `${IN_FLIGHT} in flight, 1,000 keys, median of ${ROUNDS} alternating rounds of ${ops}, ${PROCESSES_PER_SIDE} processes a side taking rounds in turn${more}; ${cpuNote}`,
      );
    } finally {
      await observed.stop();
    }
  } finally {
    await plain.stop();
  }
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
