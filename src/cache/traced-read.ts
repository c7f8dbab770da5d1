import type { CacheSpan } from '../tracing/cache-tracer.js';
import { type CacheResult, resultOf } from './call-types.js';

/*
 * The `zkoc get` span of a read. A hit only starts and ends it: the span is made active (a context
 * switch, what a hit cost most under an SDK) only around a grace refresh or a load, whose lock wait,
 * loader and script spans nest under it. A span the sampler dropped is neither given attributes nor
 * ended (ending one does nothing), so it costs the hit nothing beyond its start.
 */

/** `read` as it is; a failure marks a recorded span failed and ends it. */
export function failingSpan<R>(span: CacheSpan, read: Promise<R>): Promise<R> {
  if (!span.recording) return read;
  return read.catch((error: unknown) => {
    span.fail(error);
    span.end();
    throw error;
  });
}

/** A fresh value served from Redis: the span's result and timestamp, then its end. */
export function endHit(span: CacheSpan, timestamp: bigint): void {
  if (!span.recording) return;
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
