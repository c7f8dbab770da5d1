import type { Counter, Gauge, Histogram, Registry } from 'prom-client';
import * as prom from 'prom-client';
import type { CacheEventEmitter, CacheEvents } from '../cache/events.js';
import { DeferredCount } from './deferred-count.js';

/** What {@link registerMetrics} needs of a cache: an `OrderedCache` has all of it. */
export interface MeasurableCache {
  readonly events: CacheEventEmitter;
  readonly namespace: string;
  readonly locks: { readonly heldCount: number };
  readonly zookeeper: { readonly state: 'connected' | 'suspended' | 'lost' | 'closed' };
}

export interface MetricsOptions {
  /** Where the metrics are registered. @default prom-client's global register */
  registry?: Registry;
  /** Prepended to every metric name. @default 'zkoc_' */
  prefix?: string;
}

/** Registered metrics; `unregister()` stops listening and removes them from the registry. */
export interface RegisteredMetrics {
  unregister(): void;
}

const SESSION_STATES = ['connected', 'suspended', 'lost', 'closed'] as const;
// Lock waits and loads are milliseconds to seconds; Redis round trips tens of µs to ms.
const LOCK_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
const REDIS_BUCKETS = [0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.1, 1];

/**
 * Prometheus metrics for one cache, fed by its events. Several caches (namespaces) may share a
 * registry: each metric is created once per registry and labelled by `namespace`. Never labels by
 * key (unbounded cardinality). Label children are bound once; hits are read from the cache's own counts
 * (`events.hitCount`), other reads counted in plain numbers, both added at scrape time, and serving
 * reads are timed one in 16 (see RedisTimer), so a hit costs the metrics nothing but that timing.
 */
export function registerMetrics(cache: MeasurableCache, options: MetricsOptions = {}): RegisteredMetrics {
  const registry = options.registry ?? prom.register;
  const p = options.prefix ?? 'zkoc_';
  const namespace = cache.namespace;
  const requests = metric(
    registry,
    `${p}cache_requests_total`,
    () =>
      new prom.Counter({
        name: `${p}cache_requests_total`,
        help: 'Cache reads by result: hit (fresh value), negative (fresh "no such row"), miss (loaded or joined a load), grace (expired value served while refreshing)',
        labelNames: ['namespace', 'result'],
        registers: [registry],
        collect: () => beforeScrape(registry),
      }),
  );
  const writes = metric(
    registry,
    `${p}cache_writes_total`,
    () =>
      new prom.Counter({
        name: `${p}cache_writes_total`,
        help: 'Compare-script writes by operation (fill after a load, set, invalidate) and outcome (written, stale: a newer version was kept, duplicate)',
        labelNames: ['namespace', 'op', 'status'],
        registers: [registry],
      }),
  );
  const epochRefusals = metric(
    registry,
    `${p}cache_epoch_refusals_total`,
    () =>
      new prom.Counter({
        name: `${p}cache_epoch_refusals_total`,
        help: 'Writes counted as stale in cache_writes_total because their epoch predates a loss of Redis data (restart without persistence, FLUSHALL), by operation',
        labelNames: ['namespace', 'op'],
        registers: [registry],
      }),
  );
  const nearHits = metric(
    registry,
    `${p}near_cache_hits_total`,
    () =>
      new prom.Counter({
        name: `${p}near_cache_hits_total`,
        help: 'Reads (get, peek) answered by the in-process near cache after its read barrier, without a Redis read; fresh or not (cache_requests_total says how each was served)',
        labelNames: ['namespace'],
        registers: [registry],
        collect: () => beforeScrape(registry),
      }),
  );
  const loaderRuns = counter(registry, `${p}loader_runs_total`, 'Loader calls (each is one database read)');
  const loaderErrors = counter(registry, `${p}loader_errors_total`, 'Loader calls that threw');
  const lockLost = metric(
    registry,
    `${p}lock_lost_total`,
    () =>
      new prom.Counter({
        name: `${p}lock_lost_total`,
        help: 'Held per-key locks lost before release, by reason (the compare script still fences their writes)',
        labelNames: ['namespace', 'reason'],
        registers: [registry],
      }),
  );
  const bypass = metric(
    registry,
    `${p}cache_bypass_total`,
    () =>
      new prom.Counter({
        name: `${p}cache_bypass_total`,
        help: 'Reads answered around an unavailable server (onCacheUnavailable: load), by reason: redis-unavailable, circuit-open, zookeeper-unavailable',
        labelNames: ['namespace', 'reason'],
        registers: [registry],
      }),
  );
  const lockWait = histogram(
    registry,
    `${p}lock_wait_seconds`,
    'Time from asking for a per-key lock to holding it',
    LOCK_BUCKETS,
  );
  const lockHeld = histogram(
    registry,
    `${p}lock_held_seconds`,
    'Time a per-key lock was held by the cache',
    LOCK_BUCKETS,
  );
  const loaderSeconds = histogram(registry, `${p}loader_seconds`, 'Loader duration', LOCK_BUCKETS);
  const redisSeconds = metric(
    registry,
    `${p}redis_seconds`,
    () =>
      new prom.Histogram({
        name: `${p}redis_seconds`,
        help: 'Redis round trips of the cache: serving reads (one in 16 timed) and compare-script writes (all)',
        labelNames: ['namespace', 'op'],
        buckets: REDIS_BUCKETS,
        registers: [registry],
      }),
  );
  const sessionGauge = gauge(
    registry,
    `${p}zookeeper_session_state`,
    'ZooKeeper session state: 1 for the current state, 0 for the others',
    ['namespace', 'state'],
  );
  const locksHeld = gauge(registry, `${p}locks_held`, 'Per-key locks held by this process right now', ['namespace']);

  // Reads are counted in plain numbers and added at scrape time: a hit costs an addition.
  const [hit, negative, miss, grace] = ['hit', 'negative', 'miss', 'grace'].map((result) => {
    const child = requests.labels(namespace, result);
    child.inc(0); // every label combination exists from the start, so a rate() never starts mid-way
    return new DeferredCount(child);
  }) as [DeferredCount, DeferredCount, DeferredCount, DeferredCount];
  // Hits are counted by the cache itself (no event per hit): what was served since registering.
  const events = cache.events;
  let hitsSeen = events.hitCount;
  let negativeSeen = events.negativeHitCount;
  let nearSeen = events.nearHitCount;
  const near = new DeferredCount(nearHits.labels(namespace));
  nearHits.labels(namespace).inc(0);
  const countHits = () => {
    hit.add(events.hitCount - hitsSeen);
    negative.add(events.negativeHitCount - negativeSeen);
    near.add(events.nearHitCount - nearSeen);
    hitsSeen = events.hitCount;
    negativeSeen = events.negativeHitCount;
    nearSeen = events.nearHitCount;
  };
  const writeCounter = (op: string, status: string) => writes.labels(namespace, op, status);
  const opOf = (source: 'load' | 'set' | 'invalidate') => (source === 'load' ? 'fill' : source);
  for (const op of ['fill', 'set', 'invalidate']) {
    for (const s of ['written', 'stale', 'duplicate']) writeCounter(op, s).inc(0);
    epochRefusals.labels(namespace, op).inc(0);
  }
  const runs = loaderRuns.labels(namespace);
  const errors = loaderErrors.labels(namespace);
  runs.inc(0);
  errors.inc(0);
  const wait = lockWait.labels(namespace);
  const held = lockHeld.labels(namespace);
  const loaderTime = loaderSeconds.labels(namespace);
  const redisRead = redisSeconds.labels(namespace, 'read');
  const redisWrite = redisSeconds.labels(namespace, 'write');

  const listeners: { [E in keyof CacheEvents]?: (data: CacheEvents[E]) => void } = {
    miss: () => miss.inc(),
    'grace-served': (e) => {
      if (e.reason === 'refreshing') grace.inc();
    },
    written: (e) => writeCounter(opOf(e.source), 'written').inc(),
    stale: (e) => {
      writeCounter(opOf(e.source), 'stale').inc();
      if (e.reason === 'epoch') epochRefusals.labels(namespace, opOf(e.source)).inc();
    },
    duplicate: (e) => writeCounter(opOf(e.source), 'duplicate').inc(),
    load: (e) => {
      runs.inc();
      if (e.error !== undefined) errors.inc();
      loaderTime.observe(e.durationMs / 1000);
    },
    'lock-acquired': (e) => wait.observe(e.waitedMs / 1000),
    'lock-released': (e) => held.observe(e.heldMs / 1000),
    'lock-lost': (e) => lockLost.labels(namespace, e.reason).inc(),
    redis: (e) => (e.op === 'read' ? redisRead : redisWrite).observe(e.durationMs / 1000),
    bypass: (e) => bypass.labels(namespace, e.reason).inc(),
  };
  for (const [event, listener] of Object.entries(listeners))
    cache.events.on(event as keyof CacheEvents, listener as never);

  // Gauges are read at scrape time, from the cache itself: nothing to keep in step.
  const collect = () => {
    countHits();
    for (const count of [hit, negative, miss, grace, near]) count.flush();
    const state = cache.zookeeper.state;
    for (const s of SESSION_STATES) sessionGauge.labels(namespace, s).set(s === state ? 1 : 0);
    locksHeld.labels(namespace).set(cache.locks.heldCount);
  };
  collectors(registry).add(collect);
  collect();

  return {
    unregister() {
      for (const [event, listener] of Object.entries(listeners))
        cache.events.off(event as keyof CacheEvents, listener as never);
      collect(); // what was counted before unregistering stays counted
      collectors(registry).delete(collect);
    },
  };
}

/** One metric object per registry and name, shared by every cache or follower registered on it. */
export function sharedMetric<M extends Counter | Gauge | Histogram>(
  registry: Registry,
  name: string,
  create: () => M,
): M {
  return metric(registry, name, create);
}

// One metric object per registry and name, shared by every cache registered on it.
function metric<M extends Counter | Gauge | Histogram>(registry: Registry, name: string, create: () => M): M {
  return (registry.getSingleMetric(name) as M | undefined) ?? create();
}

function counter(registry: Registry, name: string, help: string): Counter {
  return metric(
    registry,
    name,
    () => new prom.Counter({ name, help, labelNames: ['namespace'], registers: [registry] }),
  );
}

function histogram(registry: Registry, name: string, help: string, buckets: number[]): Histogram {
  return metric(
    registry,
    name,
    () => new prom.Histogram({ name, help, labelNames: ['namespace'], buckets, registers: [registry] }),
  );
}

/** Per registry, each registered cache's refresh: its gauges and its deferred counts, at scrape time. */
const collectorsByRegistry = new WeakMap<Registry, Set<() => void>>();

function collectors(registry: Registry): Set<() => void> {
  let set = collectorsByRegistry.get(registry);
  if (!set) {
    set = new Set();
    collectorsByRegistry.set(registry, set);
  }
  return set;
}

/** Brings every registered cache's gauges and deferred counts up to date: each metric's collect. */
function beforeScrape(registry: Registry): void {
  for (const refresh of collectors(registry)) refresh();
}

function gauge(registry: Registry, name: string, help: string, labelNames: string[]): Gauge {
  return metric(
    registry,
    name,
    () =>
      new prom.Gauge({
        name,
        help,
        labelNames,
        registers: [registry],
        collect: () => beforeScrape(registry),
      }),
  );
}
