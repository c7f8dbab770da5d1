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
import { serveWorker } from '../src/testing/worker/serve-worker.js';
import { measure } from './measure.js';
import { DROP, requestContext } from './observability-context.js';
import type { ObservedWorkerCommand, ObservedWorkerRound, ObservedWorkerSetup } from './observability-processes.js';

/**
 * One side of the observability bench in a process of its own, as an application runs one cache
 * configuration: hit-path gets, each inside its own request's span context (1 in `every` sampled),
 * under an OpenTelemetry SDK with a ParentBased 1 % sampler, with tracing and metrics on or off.
 * Started by observability-processes.ts; speaks the line protocol.
 */
const setup = JSON.parse(process.argv[2]!) as ObservedWorkerSetup;
context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
const provider = new BasicTracerProvider({
  sampler: new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(0.01) }),
  spanProcessors: [new BatchSpanProcessor(DROP)],
});
trace.setGlobalTracerProvider(provider);
const cache = await OrderedCache.connect<{ id: number }>({
  zookeeper: { connectString: setup.zookeeper, sessionTimeoutMs: 10_000 },
  redis: setup.redis,
  namespace: setup.namespace,
  tracing: setup.side === 'observed',
});
if (setup.side === 'observed') registerMetrics(cache, { registry: new Registry() });
const keys = Array.from({ length: setup.keys }, (_, i) => `product:${i}`);
const neverLoad = () => Promise.reject(new Error('bench: a hit must not load'));
const op = (i: number) =>
  context.with(requestContext(i, i % setup.every === 0), () => cache.get(keys[i % keys.length]!, neverLoad));
await new Promise((resolve) => setTimeout(resolve, 1_100)); // the cache looks for an SDK once a second
for (let warm = 0; warm < 3; warm++) await measure(30_000, setup.inFlight, op); // the JIT, the near cache

async function handle(command: ObservedWorkerCommand): Promise<ObservedWorkerRound | Record<string, never>> {
  if (command.op === 'stop') {
    await cache.close().finally(() => provider.shutdown());
    setImmediate(() => process.exit(0));
    return {};
  }
  const before = process.cpuUsage();
  const { opsPerSec, latenciesMs } = await measure(command.ops, setup.inFlight, op);
  const used = process.cpuUsage(before);
  return { opsPerSec, latenciesMs, cpuPerOpUs: (used.user + used.system) / command.ops };
}

await serveWorker(handle);
process.exit(0); // stdin closed: the parent is gone
