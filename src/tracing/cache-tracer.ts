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

/*
 * When to look for an SDK again: a count a timer moves once a second (one timer per process,
 * unref'd, so it never keeps a process alive). Cheaper per call than reading a clock (~45 ns a
 * get with Date.now()).
 */
let sdkLookRound = 0;
let sdkLookTimerStarted = false;
function startLookTimer(): void {
  if (sdkLookTimerStarted) return;
  sdkLookTimerStarted = true;
  setInterval(() => {
    sdkLookRound++;
  }, 1_000).unref();
}

/** A span as the cache uses it: attributes, an outcome, an end, and a context for its children. */
export interface CacheSpan {
  /** False when nothing is recorded (no SDK, or the sampler dropped it): skip computing attributes. */
  readonly recording: boolean;
  setAttribute(name: string, value: string | number | boolean): void;
  fail(error: unknown): void;
  end(): void;
  /** Runs `fn` with this span active, so spans started inside it (a loader's) nest under it. */
  around<R>(fn: () => R): R;
}

const NO_SPAN: CacheSpan = { recording: false, setAttribute() {}, fail() {}, end() {}, around: (fn) => fn() };

/**
 * The cache's spans, through OpenTelemetry's API: one span per `get`/`set`/`invalidate`/`withLock`,
 * children for the lock wait, the loader and the compare script. The loader runs inside its span's
 * context, so a database span the loader makes nests under it. Attribute names follow
 * OpenTelemetry's database conventions (`db.system.name`, `db.operation.name`, `db.namespace`,
 * `server.address`) plus `zkoc.*`.
 */
export class CacheTracer {
  readonly #api: Api | undefined;
  readonly #version: string | undefined;
  readonly #rootHits: boolean;
  /** The registered SDK's own tracer (no proxy in between), or undefined without an SDK. */
  #tracer: Otel.Tracer | undefined;
  readonly #base: Attributes;
  /** The start attributes per span name, built once: a span's start allocates none of its own. */
  readonly #startAttributes = new Map<string, Attributes>();

  constructor(
    namespace: string,
    options: { enabled?: boolean; rootHits?: boolean; serverAddress?: string; version?: string } = {},
  ) {
    this.#api = options.enabled === false ? undefined : otelApi();
    this.#version = options.version;
    this.#rootHits = options.rootHits === true;
    this.#base = { 'zkoc.namespace': namespace, 'db.system.name': 'redis', 'db.namespace': namespace };
    if (options.serverAddress) this.#base['server.address'] = options.serverAddress;
  }

  #sdkLookedAt = -1;

  /**
   * True when OpenTelemetry's API is installed and an SDK (a tracer provider) is registered. Without
   * one every span would be a no-op, so the hit path skips them; the answer is re-checked once a
   * second (see sdkLookRound), since an application may register its SDK after the cache
   * connected, or replace it. The SDK's tracer is taken from the provider at each check: a tracer
   * got through the API's proxy keeps the first SDK it saw.
   */
  get enabled(): boolean {
    const api = this.#api;
    if (!api) return false;
    if (this.#sdkLookedAt !== sdkLookRound) {
      this.#sdkLookedAt = sdkLookRound;
      startLookTimer();
      const provider = api.trace.getTracerProvider();
      this.#tracer =
        provider instanceof api.ProxyTracerProvider
          ? provider.getDelegateTracer('zk-ordered-cache', this.#version)
          : provider.getTracer('zk-ordered-cache', this.#version);
    }
    return this.#tracer !== undefined;
  }

  /**
   * Starts a span (a child of the active one) without making it active: no context switch, which is
   * what a hit costs most under an SDK. Call `span.around(fn)` for work whose spans must nest under
   * it, and `end()` when done. `operation` becomes `db.operation.name`.
   */
  start(name: string, operation?: string): CacheSpan {
    if (!this.enabled) return NO_SPAN;
    const api = this.#api!;
    // Under a parent the sampler dropped, a ParentBased sampler (the SDK's default) records no child:
    // skip asking it (a span start costs about half a hit). Children still see the parent's context.
    const parent = api.trace.getSpanContext(api.context.active());
    if (unsampledParent(api, parent)) return NO_SPAN;
    return this.#started(name, operation, undefined);
  }

  /**
   * A read's span, decided from the active context, read once: under a sampled parent (or with
   * `rootHits`) the span starts now; under an unsampled parent, or without an SDK, there is none;
   * with no parent the answer is the call's start time (performance.now()): a fresh hit then makes
   * no span at all, and anything else starts its root span with {@link startAt} (the way
   * OpenTelemetry's instrumentations offer `requireParentSpan`, for hits only). The API's invalid
   * context counts as no parent; any other unsampled one as an unsampled parent (see unsampledParent).
   */
  startRead(name: string, operation: string): CacheSpan | number {
    if (!this.enabled) return NO_SPAN;
    const api = this.#api!;
    const parent = api.trace.getSpanContext(api.context.active());
    if (unsampledParent(api, parent)) return NO_SPAN;
    if (parent !== undefined && parent !== api.INVALID_SPAN_CONTEXT && parent.traceId !== api.INVALID_TRACEID) {
      return this.#started(name, operation, undefined);
    }
    return this.#rootHits ? this.#started(name, operation, undefined) : performance.now();
  }

  /** A span started late, dated `startTime` (a performance.now() taken at the call's start). */
  startAt(name: string, operation: string, startTime: number): CacheSpan {
    return this.enabled ? this.#started(name, operation, startTime) : NO_SPAN;
  }

  #started(name: string, operation: string | undefined, startTime: number | undefined): CacheSpan {
    const attributes = this.#attributesFor(name, operation);
    const options = startTime === undefined ? { attributes } : { attributes, startTime };
    return new OtelSpan(this.#api!, this.#tracer!.startSpan(name, options));
  }

  /**
   * Runs `fn` in a new span (a child of the active one) that is active while `fn` runs, and ends it
   * when `fn` settles, recording an exception as the span's error. `attributes` are set only when the
   * span is recorded.
   */
  async inSpan<R>(
    name: string,
    fn: (span: CacheSpan) => Promise<R>,
    options: { operation?: string; attributes?: Record<string, string | number | boolean> } = {},
  ): Promise<R> {
    const span = this.start(name, options.operation);
    if (span === NO_SPAN) return fn(NO_SPAN);
    if (options.attributes && span.recording) {
      for (const [name, value] of Object.entries(options.attributes)) span.setAttribute(name, value);
    }
    try {
      return await span.around(() => fn(span));
    } catch (error) {
      span.fail(error);
      throw error;
    } finally {
      span.end();
    }
  }

  #attributesFor(name: string, operation: string | undefined): Attributes {
    let attributes = this.#startAttributes.get(name);
    if (!attributes) {
      attributes = operation ? { ...this.#base, 'db.operation.name': operation } : this.#base;
      this.#startAttributes.set(name, attributes);
    }
    return attributes;
  }
}

/**
 * A valid parent the sampler dropped: under it a ParentBased sampler (the SDK's default) records no
 * child. Its validity is an identity check against the API's invalid context (what the API and the
 * SDK use for "no span", e.g. under suppressTracing): the trace id is not compared with the invalid
 * one, since under an unsampled request trace that ran on every hit, flattening and comparing a
 * 32-character id built per request (~500 instructions and a string allocation a hit, counted with
 * bench/count-hit-path.ts under valgrind). A sampled parent's id is compared (rare: a span follows).
 */
function unsampledParent(api: Api, parent: Otel.SpanContext | undefined): boolean {
  return (
    parent !== undefined && (parent.traceFlags & api.TraceFlags.SAMPLED) === 0 && parent !== api.INVALID_SPAN_CONTEXT
  );
}

/** An OpenTelemetry span behind {@link CacheSpan}: one object per span, its methods shared. */
class OtelSpan implements CacheSpan {
  readonly #api: Api;
  readonly #span: Otel.Span;
  readonly recording: boolean;

  constructor(api: Api, span: Otel.Span) {
    this.#api = api;
    this.#span = span;
    this.recording = span.isRecording();
  }

  setAttribute(name: string, value: string | number | boolean): void {
    if (this.recording) this.#span.setAttribute(name, value);
  }

  fail(error: unknown): void {
    if (!this.recording) return;
    if (error instanceof Error) this.#span.recordException(error);
    this.#span.setStatus({
      code: this.#api.SpanStatusCode.ERROR,
      message: error instanceof Error ? error.message : String(error),
    });
  }

  end(): void {
    this.#span.end();
  }

  around<R>(fn: () => R): R {
    const api = this.#api;
    return api.context.with(api.trace.setSpan(api.context.active(), this.#span), fn);
  }
}
