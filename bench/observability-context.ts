import { type Context, ROOT_CONTEXT, TraceFlags, trace } from '@opentelemetry/api';
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace-base';

// Spans go nowhere: the cost measured is the library's and the SDK's, not an exporter's network.
export const DROP: SpanExporter = {
  export: (_spans: ReadableSpan[], done) => done({ code: 0 }),
  shutdown: async () => {},
};

/** A request's span context as an instrumented server would have made active (remote, as if propagated). */
export function requestContext(i: number, sampled: boolean): Context {
  const traceId = (i + 1).toString(16).padStart(32, '0');
  const spanId = (i + 1).toString(16).padStart(16, '0');
  const traceFlags = sampled ? TraceFlags.SAMPLED : TraceFlags.NONE;
  return trace.setSpanContext(ROOT_CONTEXT, { traceId, spanId, traceFlags, isRemote: true });
}
