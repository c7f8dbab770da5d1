import type { CacheSpan, CacheTracer } from '../tracing/cache-tracer.js';
import { type CacheResult, resultOf } from './call-types.js';

/*
 * The `zkoc get` span of a read. A hit only starts and ends it: the span is made active (a context
 * switch, what a hit cost most under an SDK) only around a grace refresh or a load, whose lock wait,
 * loader and script spans nest under it. A span the sampler dropped is neither given attributes nor
 * ended (ending one does nothing), so it costs the hit nothing beyond its start.
 *
 * With no parent span, a read's span is its start time until the read's outcome is known
 * (CacheTracer.startRead): a fresh hit makes none, anything else starts its root span dated then.
 */

/** A read's span: started (or none), or the call's start time while a root span waits for the outcome. */
export type ReadSpan = CacheSpan | number;

const GET = 'zkoc get';

/** The read's span, started now (dated at the call's start) if it was waiting. */
export function spanOf(tracer: CacheTracer, read: ReadSpan): CacheSpan {
  return typeof read === 'number' ? tracer.startAt(GET, 'get', read) : read;
}

/** `read` as it is; a failure marks the span failed (starting a waiting one) and ends it. */
export function failingSpan<R>(tracer: CacheTracer, span: ReadSpan, read: Promise<R>): Promise<R> {
  if (typeof span !== 'number' && !span.recording) return read;
  return read.catch((error: unknown) => {
    throw failRead(tracer, span, error);
  });
}

/** A fresh value served from Redis: the span's result and timestamp, then its end (a waiting one: none). */
export function endHit(span: ReadSpan, timestamp: bigint): void {
  if (typeof span === 'number' || !span.recording) return;
  span.setAttribute('zkoc.result', 'hit');
  span.setAttribute('zkoc.timestamp', String(timestamp));
  span.end();
}

/** Awaits the rest of a read, records its result (or failure) on the span and ends it. */
export async function endAfter<T>(
  span: CacheSpan,
  rest: CacheResult<T> | Promise<CacheResult<T>>,
): Promise<CacheResult<T>> {
  if (!span.recording) return rest;
  try {
    const result = await rest;
    span.setAttribute('zkoc.result', resultOf(result));
    if (result.timestamp !== undefined) span.setAttribute('zkoc.timestamp', String(result.timestamp));
    return result;
  } catch (error) {
    span.fail(error);
    throw error;
  } finally {
    span.end();
  }
}

/** A read failed: its span (a waiting one started now) records the error and ends. Returns `error`. */
export function failRead(tracer: CacheTracer, span: ReadSpan, error: unknown): unknown {
  if (typeof span === 'number' || span.recording) {
    const started = spanOf(tracer, span);
    started.fail(error);
    started.end();
  }
  return error;
}
