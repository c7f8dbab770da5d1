import type { Cluster, Redis } from 'ioredis';
import type { Entry, ServingEntry } from '../redis/entry.js';
import { OrderedStore } from '../redis/ordered-store.js';
import { CacheTracer } from '../tracing/cache-tracer.js';
import { LockManager } from '../zookeeper/lock-manager.js';
import type { ZooKeeperConnection } from '../zookeeper/zookeeper-connection.js';
import type { BatchContext } from './batch-writes.js';
import { type CacheWrite, coalescedWrites } from './coalesced-writes.js';
import type { CacheEventEmitter } from './events.js';
import { FailOpenReads } from './fail-open.js';
import { lockForFill } from './fill-lock.js';
import { FillPath } from './fill-path.js';
import { forwardLockEvents } from './forwarded-events.js';
import { InFlightReads } from './in-flight-reads.js';
import { type KeyReads, type NearReads, nearReadsFor } from './near-reads.js';
import type { ParsedOptions } from './options.js';
import { RedisTimer } from './timed-redis.js';
import type { WriteCoalescer } from './write-coalescer.js';

/** What an OrderedCache is made of, wired together once. */
export interface CacheParts<T> {
  locks: LockManager;
  store: OrderedStore<T>;
  tracer: CacheTracer;
  fill: FillPath<T>;
  /** Reads for get()/peek(): the near cache when on (near-reads.ts), else reads in flight shared per key (InFlightReads). */
  servingReads: KeyReads<ServingEntry<T> | undefined>;
  fullReads: KeyReads<Entry<T> | undefined>;
  /** Set unless `nearCache: false` or the near cache cannot be exact here (a Cluster). */
  near: NearReads<T> | undefined;
  /** Set with `onCacheUnavailable: 'load'`. */
  failOpen: FailOpenReads<T> | undefined;
  batch: BatchContext;
  /** Set with `coalesceWrites` (the default): concurrent set/invalidate of one key folded. */
  writes: WriteCoalescer<CacheWrite> | undefined;
  /** Stops the background parts: the fail-open probe, the near cache's tracking connection. */
  dispose(): void;
}

/**
 * Builds a cache's parts from options already resolved by their own parsers (in connect(), before
 * any socket opened), so the constructors re-check them and cannot fail here.
 */
export function buildCacheParts<T>(
  options: ParsedOptions<T>,
  zk: ZooKeeperConnection,
  redis: Redis | Cluster,
  events: CacheEventEmitter,
): CacheParts<T> {
  const locks = new LockManager(zk, options.locks);
  forwardLockEvents(locks, zk, events);
  const store = new OrderedStore<T>(redis, options.store);
  const tracer = new CacheTracer(options.namespace, options.tracing);
  const timer = new RedisTimer(events);
  const servingReads = new InFlightReads((key) => timer.read(store.readForServing(key)));
  const fullReads = new InFlightReads((key) => timer.read(store.read(key)));
  const near = options.nearCache
    ? nearReadsFor({
        limits: options.nearCache,
        namespace: options.namespace,
        redis,
        store,
        events,
        timer,
        commandTimeoutMs: options.redisCommandTimeoutMs,
        serving: servingReads,
        full: fullReads,
      })
    : undefined;
  // A write of a key that settled: a read issued before it must not be shared after it.
  const settled = (key: string) => {
    servingReads.forget(key);
    fullReads.forget(key);
    near?.forget(key);
  };
  const failOpen =
    options.onCacheUnavailable === 'load'
      ? new FailOpenReads<T>({
          events,
          probe: (key) => store.readForServing(key),
          probeIntervalMs: Math.min(1_000, options.redisCommandTimeoutMs),
        })
      : undefined;
  const fill = new FillPath<T>({
    store,
    locks,
    events,
    tracer,
    timer,
    lockForFill: (key) => lockForFill(locks, zk, key, options.lockTimeoutMs, options.onCacheUnavailable === 'load'),
    servedUnwritten: (key, loaded, error) => failOpen?.servedUnwritten(key, loaded, error),
    onWriteSettled: settled,
  });
  const batch: BatchContext = {
    locks,
    store: store as OrderedStore<unknown>,
    lockTimeoutMs: options.lockTimeoutMs,
    report: (key, timestamp, kind, source, result) => {
      fill.report(key, timestamp, kind, source, result);
      settled(key);
    },
  };
  const writes = options.coalesceWrites ? coalescedWrites(fill, options.lockTimeoutMs) : undefined;
  const dispose = () => {
    failOpen?.dispose();
    near?.close();
  };
  return {
    locks,
    store,
    tracer,
    fill,
    servingReads: near?.serving ?? servingReads,
    fullReads: near?.full ?? fullReads,
    near,
    failOpen,
    batch,
    writes,
    dispose,
  };
}
