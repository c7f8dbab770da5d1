import { createRequire } from 'node:module';
import type * as Otel from '@opentelemetry/api';

type Api = typeof Otel;
type Attributes = Otel.Attributes;

// @opentelemetry/api is an optional peer dependency: without it every span call is a no-op.
let loaded: Api | undefined | null = null;
function otelApi(): Api | undefined {
  if (loaded === null) {
    try {
      loaded = createRequire(import.meta.url)('@opentelemetry/api') as Api;
    } catch {
      loaded = undefined;
    }
  }
  return loaded;
}

/** A span as the cache uses it: attributes, an outcome, an end. */
export interface CacheSpan {
  setAttribute(name: string, value: string | number | boolean): void;
  fail(error: unknown): void;
  end(): void;
}

const NO_SPAN: CacheSpan = { setAttribute() {}, fail() {}, end() {} };

/**
 * The cache's spans, through OpenTelemetry's API: one span per `get`/`set`/`invalidate`/`withLock`,
 * children for the lock wait, the loader and the compare script. The loader runs inside its span's
 * context, so a database span the loader makes nests under it. Attribute names follow
 * OpenTelemetry's database conventions (`db.system.name`, `db.operation.name`, `db.namespace`,
 * `server.address`) plus `zkoc.*`.
 */
export class CacheTracer {
  readonly #api: Api | undefined;
  readonly #tracer: Otel.Tracer | undefined;
  readonly #base: Attributes;

  constructor(namespace: string, options: { enabled?: boolean; serverAddress?: string; version?: string } = {}) {
    this.#api = options.enabled === false ? undefined : otelApi();
    this.#tracer = this.#api?.trace.getTracer('zk-ordered-cache', options.version);
    this.#base = { 'zkoc.namespace': namespace, 'db.system.name': 'redis', 'db.namespace': namespace };
    if (options.serverAddress) this.#base['server.address'] = options.serverAddress;
  }

  #sdkCheckedAt = Number.NEGATIVE_INFINITY;
  #sdkRegistered = false;

  /**
   * True when OpenTelemetry's API is installed and an SDK (a tracer provider) is registered. Without
   * one every span would be a no-op, so the hit path skips them; the answer is re-checked once a
   * second, since an application may register its SDK after the cache connected.
   */
  get enabled(): boolean {
    const api = this.#api;
    if (!api) return false;
    const now = performance.now();
    if (now - this.#sdkCheckedAt > 1_000) {
      this.#sdkCheckedAt = now;
      const provider = api.trace.getTracerProvider();
      this.#sdkRegistered =
        !(provider instanceof api.ProxyTracerProvider) || provider.getDelegateTracer('zk-ordered-cache') !== undefined;
    }
    return this.#sdkRegistered;
  }

  /**
   * Runs `fn` in a new span (a child of the active one) that is active while `fn` runs, and ends it
   * when `fn` settles, recording an exception as the span's error.
   */
  async inSpan<R>(name: string, attributes: Attributes, fn: (span: CacheSpan) => Promise<R>): Promise<R> {
    const api = this.#api;
    const tracer = this.#tracer;
    if (!api || !tracer || !this.enabled) return fn(NO_SPAN);
    return tracer.startActiveSpan(name, { attributes: { ...this.#base, ...attributes } }, async (span) => {
      const wrapped = wrap(api, span);
      try {
        return await fn(wrapped);
      } catch (error) {
        wrapped.fail(error);
        throw error;
      } finally {
        span.end();
      }
    });
  }
}

function wrap(api: Api, span: Otel.Span): CacheSpan {
  return {
    setAttribute: (name, value) => {
      span.setAttribute(name, value);
    },
    fail: (error) => {
      if (error instanceof Error) span.recordException(error);
      span.setStatus({
        code: api.SpanStatusCode.ERROR,
        message: error instanceof Error ? error.message : String(error),
      });
    },
    end: () => span.end(),
  };
}
