import { createHook } from 'node:async_hooks';
import { type Context, context, ROOT_CONTEXT, TraceFlags, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import {
  BasicTracerProvider,
  BatchSpanProcessor,
  InMemorySpanExporter,
  ParentBasedSampler,
  TraceIdRatioBasedSampler,
} from '@opentelemetry/sdk-trace-base';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OrderedCache } from '../../src/cache/ordered-cache.js';
import { READ_TIMING_EVERY } from '../../src/cache/timed-redis.js';
import { registerMetrics } from '../../src/metrics/index.js';
import { openCache } from '../cache/fixture.js';
import { useStack } from '../support/stack.js';

/*
 * Under AsyncLocalStorage (how OpenTelemetry carries a request's context) every promise pays Node's
 * promise hooks, so a traced hit must not create more of them than an untraced one: no wrapper, no
 * extra await, no `.then` per hit. Counted, not timed (bench/observability.ts times it). The only
 * extra promise allowed is the metrics' timed read, one hit in READ_TIMING_EVERY.
 */
describe('the hit path under a request trace: promises per get', () => {
  const stack = useStack();
  const provider = new BasicTracerProvider({
    sampler: new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(0.01) }),
    spanProcessors: [new BatchSpanProcessor(new InMemorySpanExporter())],
  });
  let plain: OrderedCache<number>;
  let traced: OrderedCache<number>;
  let observed: OrderedCache<number>;
  let promises = 0;
  // Only promises created inside the gets' request contexts: the process's own (ZooKeeper pings,
  // timers, the other caches) would make the count depend on how long the gets took.
  const requests = new WeakSet<Context>();
  const hook = createHook({
    init(_id, type) {
      if (type === 'PROMISE' && requests.has(context.active())) promises++;
    },
  });

  beforeAll(async () => {
    context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
    trace.setGlobalTracerProvider(provider);
    // The Redis hit path (a near-cache hit does no timed read): the near cache is off on all three.
    plain = await openCache<number>(stack(), { tracing: false, nearCache: false });
    traced = await openCache<number>(stack(), { namespace: plain.namespace, nearCache: false });
    observed = await openCache<number>(stack(), { namespace: plain.namespace, nearCache: false });
    registerMetrics(observed, { registry: new Registry() });
    for (let i = 0; i < 8; i++) await plain.set(`product:${i}`, i, BigInt(i + 1));
  });
  afterAll(async () => {
    hook.disable();
    await Promise.all([plain?.close(), traced?.close(), observed?.close()]);
    await provider.shutdown();
    trace.disable();
    context.disable();
  });

  /** Promises created by `gets` sequential hits, each in its own unsampled request context. */
  const count = async (cache: OrderedCache<number>, gets: number) => {
    const neverLoad = () => Promise.reject(new Error('a hit must not load'));
    const hitIn = (i: number) => {
      const request = trace.setSpanContext(ROOT_CONTEXT, {
        traceId: (i + 1).toString(16).padStart(32, '0'),
        spanId: (i + 1).toString(16).padStart(16, '0'),
        traceFlags: TraceFlags.NONE,
        isRemote: true,
      });
      requests.add(request);
      return context.with(request, () => cache.get(`product:${i % 8}`, neverLoad));
    };
    for (let i = 0; i < 16; i++) await hitIn(i); // warm: connections ready, the SDK seen
    promises = 0;
    hook.enable();
    for (let i = 0; i < gets; i++) expect(await hitIn(i)).toBe(i % 8);
    hook.disable();
    return promises;
  };

  it('a traced hit creates as many promises as an untraced one; metrics add one per timed read', async () => {
    const gets = 4 * READ_TIMING_EVERY;
    await new Promise((resolve) => setTimeout(resolve, 1_100)); // the caches look for an SDK once a second
    const floor = await count(plain, gets);
    expect(floor).toBeGreaterThan(0);
    expect(await count(traced, gets)).toBe(floor);
    expect(await count(observed, gets)).toBe(floor + gets / READ_TIMING_EVERY);
  });
});
