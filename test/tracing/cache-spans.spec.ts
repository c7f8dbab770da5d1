import { type Context, context, INVALID_SPAN_CONTEXT, ROOT_CONTEXT, TraceFlags, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import {
  AlwaysOnSampler,
  BasicTracerProvider,
  InMemorySpanExporter,
  ParentBasedSampler,
  type ReadableSpan,
  type Sampler,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { OrderedCache } from '../../src/cache/ordered-cache.js';
import { openCache, rawRedis } from '../cache/fixture.js';
import { useStack } from '../support/stack.js';

/**
 * Counts the cache's spans made active: a hit must activate none (the costly part of a span under
 * an SDK). The request's own context and the span processor's switch on export (it suppresses
 * tracing in the active context) carry no cache span: not counted.
 */
class CountingContextManager extends AsyncLocalStorageContextManager {
  activations = 0;
  override with<A extends unknown[], F extends (...args: A) => ReturnType<F>>(
    ctx: Context,
    fn: F,
    thisArg?: ThisParameterType<F>,
    ...args: A
  ): ReturnType<F> {
    if ((trace.getSpan(ctx) as { name?: string } | undefined)?.name?.startsWith('zkoc ')) this.activations += 1;
    return super.with(ctx, fn, thisArg, ...args);
  }
}

/** The SDK's default sampler, counting its calls: a span start asks it, a skipped span does not. */
class CountingSampler implements Sampler {
  readonly #inner = new ParentBasedSampler({ root: new AlwaysOnSampler() });
  calls = 0;
  shouldSample(...args: Parameters<Sampler['shouldSample']>): ReturnType<Sampler['shouldSample']> {
    this.calls += 1;
    return this.#inner.shouldSample(...args);
  }
  toString(): string {
    return 'CountingSampler';
  }
}

/** An HrTime in milliseconds since the epoch. */
const ms = ([seconds, nanos]: [number, number]) => seconds * 1_000 + nanos / 1e6;

const TRACE_ID = 'a'.repeat(32);
const PARENT_SPAN_ID = 'b'.repeat(16);
/** An application's request span context, as propagated from upstream, sampled or not. */
const requestContext = (sampled: boolean) =>
  trace.setSpanContext(ROOT_CONTEXT, {
    traceId: TRACE_ID,
    spanId: PARENT_SPAN_ID,
    traceFlags: sampled ? TraceFlags.SAMPLED : TraceFlags.NONE,
    isRemote: true,
  });

// With OpenTelemetry's SDK and an in-memory exporter: the span tree of a cold get, a hit, a set.
describe('OpenTelemetry spans', () => {
  const contextManager = new CountingContextManager();
  const stack = useStack();
  const exporter = new InMemorySpanExporter();
  const sampler = new CountingSampler();
  let cache: OrderedCache<number>;
  const fill = async (key: string, value: number) => {
    await cache.get(key, async () => ({ value, timestamp: BigInt(value) }));
    exporter.reset();
    sampler.calls = 0;
  };
  const hit = (key: string) =>
    cache.get(key, async () => {
      throw new Error('a hit must not load');
    });

  const parentOf = (span: ReadableSpan) =>
    (span as unknown as { parentSpanContext?: { spanId: string } }).parentSpanContext?.spanId ??
    (span as unknown as { parentSpanId?: string }).parentSpanId;
  const named = (name: string) => {
    const found = exporter.getFinishedSpans().filter((s) => s.name === name);
    expect(found, name).toHaveLength(1);
    return found[0] as ReadableSpan;
  };

  beforeAll(async () => {
    context.setGlobalContextManager(contextManager.enable());
    trace.setGlobalTracerProvider(
      new BasicTracerProvider({ sampler, spanProcessors: [new SimpleSpanProcessor(exporter)] }),
    );
    cache = await openCache<number>(stack());
  });
  afterAll(async () => {
    await cache?.close();
    trace.disable();
    context.disable();
  });
  beforeEach(() => exporter.reset());

  it('a cold get: lock wait, loader (with the loader’s own span nested) and script under one get span', async () => {
    const tracer = trace.getTracer('test-app');
    const value = await cache.get('product:1', async () =>
      tracer.startActiveSpan('SELECT products', async (span) => {
        span.end();
        return { value: 7, timestamp: 5n };
      }),
    );
    expect(value).toBe(7);
    const get = named('zkoc get');
    const wait = named('zkoc lock wait');
    const loader = named('zkoc loader');
    const script = named('zkoc script');
    const query = named('SELECT products');
    expect(parentOf(get)).toBeUndefined();
    expect(parentOf(wait)).toBe(get.spanContext().spanId);
    expect(parentOf(loader)).toBe(get.spanContext().spanId);
    expect(parentOf(script)).toBe(get.spanContext().spanId);
    expect(parentOf(query)).toBe(loader.spanContext().spanId);
    expect(get.attributes).toMatchObject({
      'zkoc.result': 'miss',
      'zkoc.timestamp': '5',
      'db.system.name': 'redis',
      'zkoc.namespace': cache.namespace,
    });
    expect(script.attributes).toMatchObject({ 'zkoc.write.status': 'written', 'zkoc.timestamp': '5' });
  });

  it('a hit in a sampled trace is one span with zkoc.result hit; a set records its write status', async () => {
    await context.with(requestContext(true), () => cache.get('product:1', async () => ({ value: 7, timestamp: 5n })));
    expect(exporter.getFinishedSpans().map((s) => s.name)).toEqual(['zkoc get']);
    expect(named('zkoc get').attributes['zkoc.result']).toBe('hit');
    exporter.reset();
    expect((await cache.set('product:1', 1, 4n)).status).toBe('stale');
    const set = named('zkoc set');
    expect(parentOf(named('zkoc script'))).toBe(set.spanContext().spanId);
    expect(named('zkoc script').attributes['zkoc.write.status']).toBe('stale');
  });

  it('a hit starts and ends its span without making it active', async () => {
    await fill('product:4', 4);
    contextManager.activations = 0;
    expect(await context.with(requestContext(true), () => hit('product:4'))).toBe(4);
    expect(contextManager.activations).toBe(0);
    expect(named('zkoc get').attributes).toMatchObject({ 'zkoc.result': 'hit', 'zkoc.timestamp': '4' });
  });

  it('under a sampled request span a hit’s span is its child', async () => {
    await cache.get('product:5', async () => ({ value: 5, timestamp: 5n }));
    exporter.reset();
    await context.with(requestContext(true), () => cache.get('product:5', async () => ({ value: 0, timestamp: 1n })));
    const get = named('zkoc get');
    expect(get.spanContext().traceId).toBe(TRACE_ID);
    expect(parentOf(get)).toBe(PARENT_SPAN_ID);
  });

  it('under an unsampled request span nothing is recorded, and the loader still runs in its trace', async () => {
    let loaderTrace: string | undefined;
    const value = await context.with(requestContext(false), () =>
      cache.get('product:6', async () => {
        loaderTrace = trace.getSpanContext(context.active())?.traceId;
        return { value: 6, timestamp: 6n };
      }),
    );
    expect(value).toBe(6);
    expect(loaderTrace).toBe(TRACE_ID);
    expect(exporter.getFinishedSpans()).toEqual([]);
  });

  it('a hit with no parent span, or under an unsampled one, starts no span and asks no sampler', async () => {
    await fill('product:7', 7);
    expect(await hit('product:7')).toBe(7);
    expect((await cache.getEntry('product:7', async () => ({ value: 0, timestamp: 1n }))).source).toBe('cache');
    expect(await context.with(requestContext(false), () => hit('product:7'))).toBe(7);
    expect(exporter.getFinishedSpans()).toEqual([]);
    expect(sampler.calls).toBe(0);
    // Under a sampled parent the same hit has its span, as does getEntry's.
    await context.with(requestContext(true), () => hit('product:7'));
    await context.with(requestContext(true), () =>
      cache.getEntry('product:7', async () => ({ value: 0, timestamp: 1n })),
    );
    expect(exporter.getFinishedSpans().map((s) => [s.name, s.attributes['zkoc.result']])).toEqual([
      ['zkoc get', 'hit'],
      ['zkoc get', 'hit'],
    ]);
  });

  it("the API's invalid span context counts as no parent: a miss under it is a root span, a hit makes none", async () => {
    const invalid = trace.setSpan(ROOT_CONTEXT, trace.wrapSpanContext(INVALID_SPAN_CONTEXT));
    await context.with(invalid, () => cache.get('product:12', async () => ({ value: 12, timestamp: 12n })));
    const get = named('zkoc get');
    expect(parentOf(get)).toBeUndefined();
    expect(get.attributes['zkoc.result']).toBe('miss');
    exporter.reset();
    expect(await context.with(invalid, () => hit('product:12'))).toBe(12);
    expect(exporter.getFinishedSpans()).toEqual([]);
  });

  it('a get that is not a hit, with no parent, is a root span dated from the call, not from the read', async () => {
    const redis = await rawRedis(stack());
    try {
      // Redis answers the cache's read only after 300 ms: a span started on the answer would start then.
      await redis.client('PAUSE', 300, 'ALL');
      const calledAt = Date.now();
      expect(await cache.get('product:8', async () => ({ missing: true, timestamp: 8n }))).toBeUndefined();
      const answeredAfter = Date.now() - calledAt;
      expect(answeredAfter).toBeGreaterThanOrEqual(250);
      const get = named('zkoc get');
      expect(parentOf(get)).toBeUndefined();
      expect(get.attributes['zkoc.result']).toBe('miss');
      expect(ms(get.startTime)).toBeGreaterThanOrEqual(calledAt - 5);
      expect(ms(get.startTime)).toBeLessThan(calledAt + 100);
      expect(ms(get.duration)).toBeGreaterThanOrEqual(answeredAfter - 50);
      exporter.reset();
      // A negative answer (a cached "missing") is not a hit: it keeps its root span.
      await cache.get('product:8', async () => ({ value: 0, timestamp: 1n }));
      expect(named('zkoc get').attributes['zkoc.result']).toBe('negative');
    } finally {
      await redis.quit();
    }
  });

  it('a read that fails, with no parent, is a failed root span', async () => {
    const redis = await rawRedis(stack());
    try {
      await redis.set(`zkoc:${cache.namespace}:e:product:11`, 'not a cache entry');
      await expect(cache.get('product:11', async () => ({ value: 11, timestamp: 11n }))).rejects.toThrow();
      await expect(cache.getEntry('product:11', async () => ({ value: 11, timestamp: 11n }))).rejects.toThrow();
      const failed = exporter.getFinishedSpans();
      expect(failed.map((s) => [s.name, s.status.code, parentOf(s)])).toEqual([
        ['zkoc get', 2, undefined],
        ['zkoc get', 2, undefined],
      ]);
    } finally {
      await redis.quit();
    }
  });

  it('tracing: { rootHits: true } gives every hit with no parent its root span', async () => {
    const rooted = await openCache<number>(stack(), { tracing: { rootHits: true } });
    try {
      await rooted.get('product:9', async () => ({ value: 9, timestamp: 9n }));
      exporter.reset();
      expect(await rooted.get('product:9', async () => ({ value: 0, timestamp: 1n }))).toBe(9);
      const get = named('zkoc get');
      expect(parentOf(get)).toBeUndefined();
      expect(get.attributes).toMatchObject({ 'zkoc.result': 'hit', 'zkoc.timestamp': '9' });
    } finally {
      await rooted.close();
    }
  });

  it('a tracer provider registered in place of another is used within a second', async () => {
    await fill('product:10', 10);
    const second = new InMemorySpanExporter();
    trace.disable();
    trace.setGlobalTracerProvider(new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(second)] }));
    try {
      await new Promise((resolve) => setTimeout(resolve, 1_100)); // the cache looks for an SDK once a second
      await context.with(requestContext(true), () => hit('product:10'));
      expect(second.getFinishedSpans().map((s) => s.name)).toEqual(['zkoc get']);
      expect(exporter.getFinishedSpans()).toEqual([]);
    } finally {
      trace.disable();
      trace.setGlobalTracerProvider(
        new BasicTracerProvider({ sampler, spanProcessors: [new SimpleSpanProcessor(exporter)] }),
      );
      await new Promise((resolve) => setTimeout(resolve, 1_100));
    }
  });

  it('a loader error marks the get span as failed', async () => {
    await expect(
      cache.get('product:2', async () => {
        throw new Error('database down');
      }),
    ).rejects.toThrow('database down');
    expect(named('zkoc get').status.code).toBe(2); // SpanStatusCode.ERROR
    expect(named('zkoc loader').status.message).toBe('database down');
  });

  it('tracing: false records nothing', async () => {
    const quiet = await openCache<number>(stack(), { tracing: false });
    try {
      await quiet.get('product:3', async () => ({ value: 1, timestamp: 1n }));
      expect(exporter.getFinishedSpans()).toEqual([]);
    } finally {
      await quiet.close();
    }
  });
});
