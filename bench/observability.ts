import { context, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import {
  AlwaysOnSampler,
  BasicTracerProvider,
  ParentBasedSampler,
  type ReadableSpan,
  SimpleSpanProcessor,
  type SpanExporter,
  TraceIdRatioBasedSampler,
} from '@opentelemetry/sdk-trace-base';
import { Registry } from 'prom-client';
import { OrderedCache } from '../src/cache/ordered-cache.js';
import { registerMetrics } from '../src/metrics/index.js';
import { comparedRow, compareInRounds } from './measure.js';
import type { BenchSectionRunner } from './types.js';

const IN_FLIGHT = 64;
const ROUNDS = 20;

// Spans go nowhere: the cost measured is the library's and the SDK's, not an exporter's network.
const DROP: SpanExporter = {
  export: (_spans: ReadableSpan[], done) => done({ code: 0 }),
  shutdown: async () => {},
};

/**
 * The hit path with observability on against itself with it off, side by side on one Redis:
 * - metrics (registerMetrics on a prom-client registry: a counter and a Redis-latency histogram per hit);
 * - metrics and tracing with an OpenTelemetry SDK sampling 1 % of traces (ParentBased(TraceIdRatio)),
 *   the usual production setting;
 * - metrics and tracing with every span recorded (AlwaysOn), the worst case.
 */
export const runObservabilityBench: BenchSectionRunner = async (ctx) => {
  const connect = (namespace: string, tracing: boolean) =>
    OrderedCache.connect<{ id: number }>({
      zookeeper: { connectString: ctx.zookeeper, sessionTimeoutMs: 10_000 },
      redis: ctx.redis,
      namespace,
      tracing,
    });
  const off = await connect('bench-observe', false);
  const on = await connect('bench-observe', true);
  registerMetrics(on, { registry: new Registry() });
  const contextManager = new AsyncLocalStorageContextManager().enable();
  context.setGlobalContextManager(contextManager);
  const rows = [];
  try {
    const keys = Array.from({ length: 1_000 }, (_, i) => `product:${i}`);
    for (const [i, key] of keys.entries()) await off.set(key, { id: i }, BigInt(i + 1));
    const neverLoad = () => Promise.reject(new Error('bench: a hit must not load'));
    const ops = Math.max(1_000, Math.round(4_000 * ctx.scale));
    const plain = (i: number) => off.get(keys[i % keys.length]!, neverLoad);
    const observed = (i: number) => on.get(keys[i % keys.length]!, neverLoad);
    const note = `${IN_FLIGHT} in flight, 1,000 keys, median of ${ROUNDS} alternating rounds of ${ops}`;
    rows.push(
      comparedRow(
        'hit-path get() with metrics vs without',
        await compareInRounds(ops, IN_FLIGHT, ROUNDS, plain, observed),
        'ops/s',
        0.9,
        note,
      ),
    );
    for (const [label, sampler] of [
      ['1 % of traces sampled', new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(0.01) })],
      ['every span recorded', new AlwaysOnSampler()],
    ] as const) {
      const provider = new BasicTracerProvider({ sampler, spanProcessors: [new SimpleSpanProcessor(DROP)] });
      trace.setGlobalTracerProvider(provider);
      await new Promise((resolve) => setTimeout(resolve, 1_100)); // the cache re-checks for an SDK once a second
      rows.push(
        comparedRow(
          `hit-path get() with metrics and tracing (${label}) vs without either`,
          await compareInRounds(ops, IN_FLIGHT, ROUNDS, plain, observed),
          'ops/s',
          0.9,
          `${note}; OpenTelemetry SDK, spans dropped by a no-op exporter`,
        ),
      );
      trace.disable();
      await provider.shutdown();
    }
  } finally {
    context.disable();
    await Promise.all([off.close(), on.close()]);
  }
  return { title: 'Observability: the hit path with metrics and tracing on', rows };
};
