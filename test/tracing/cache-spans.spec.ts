import { type Context, context, ROOT_CONTEXT, TraceFlags, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  type ReadableSpan,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { OrderedCache } from '../../src/cache/ordered-cache.js';
import { openCache } from '../cache/fixture.js';
import { useStack } from '../support/stack.js';

/**
 * Counts the spans made active: a hit must activate none (the costly part of a span under an SDK).
 * The span processor's own switch on export (it suppresses tracing) carries no span: not counted.
 */
class CountingContextManager extends AsyncLocalStorageContextManager {
  activations = 0;
  override with<A extends unknown[], F extends (...args: A) => ReturnType<F>>(
    ctx: Context,
    fn: F,
    thisArg?: ThisParameterType<F>,
    ...args: A
  ): ReturnType<F> {
    if (trace.getSpan(ctx)) this.activations += 1;
    return super.with(ctx, fn, thisArg, ...args);
  }
}

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
  let cache: OrderedCache<number>;

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
    trace.setGlobalTracerProvider(new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] }));
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

  it('a hit is one span with zkoc.result hit; a set records its write status', async () => {
    await cache.get('product:1', async () => ({ value: 7, timestamp: 5n }));
    expect(exporter.getFinishedSpans().map((s) => s.name)).toEqual(['zkoc get']);
    expect(named('zkoc get').attributes['zkoc.result']).toBe('hit');
    exporter.reset();
    expect((await cache.set('product:1', 1, 4n)).status).toBe('stale');
    const set = named('zkoc set');
    expect(parentOf(named('zkoc script'))).toBe(set.spanContext().spanId);
    expect(named('zkoc script').attributes['zkoc.write.status']).toBe('stale');
  });

  it('a hit starts and ends its span without making it active', async () => {
    await cache.get('product:4', async () => ({ value: 4, timestamp: 4n }));
    exporter.reset();
    contextManager.activations = 0;
    expect(await cache.get('product:4', async () => ({ value: 0, timestamp: 1n }))).toBe(4);
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
