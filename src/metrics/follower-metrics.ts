import type { Registry } from 'prom-client';
import * as prom from 'prom-client';
import type { FollowerEventEmitter, FollowerEvents } from '../postgres/follower/follower-events.js';
import { type RegisteredMetrics, sharedMetric } from './cache-metrics.js';

/** What {@link registerFollowerMetrics} needs of a follower: a `Follower` has all of it. */
export interface MeasurableFollower {
  readonly events: FollowerEventEmitter;
  readonly slot: string;
}

/**
 * Prometheus metrics for a change-stream follower, labelled by `slot`: changes applied, batches,
 * retries and row errors (counters), the lag of the latest applied change and whether this
 * follower is the active one (gauges). The lag is commit → applied in the cache.
 */
export function registerFollowerMetrics(
  follower: MeasurableFollower,
  options: { registry?: Registry; prefix?: string } = {},
): RegisteredMetrics {
  const registry = options.registry ?? prom.register;
  const p = options.prefix ?? 'zkoc_';
  const slot = follower.slot;
  const counter = (name: string, help: string, labelNames: string[] = ['slot']) =>
    sharedMetric(registry, name, () => new prom.Counter({ name, help, labelNames, registers: [registry] }));
  const gauge = (name: string, help: string) =>
    sharedMetric(registry, name, () => new prom.Gauge({ name, help, labelNames: ['slot'], registers: [registry] }));
  const applied = counter(`${p}follower_applied_total`, 'Row changes of mapped tables applied to the cache');
  const writes = counter(`${p}follower_writes_total`, 'Cache writes of applied batches, by status', ['slot', 'status']);
  const batches = counter(`${p}follower_batches_total`, 'Batches accepted by Redis and confirmed to PostgreSQL');
  const retries = counter(`${p}follower_retries_total`, 'Batch attempts retried (Redis or ZooKeeper refused writes)');
  const errors = counter(`${p}follower_errors_total`, 'Rows skipped, values refused, streams failed', ['slot', 'kind']);
  const lag = gauge(`${p}follower_lag_seconds`, 'Commit of the latest applied change → applied in the cache');
  const active = gauge(`${p}follower_active`, '1 while this follower is the elected one and streams the slot');
  for (const status of ['written', 'duplicate', 'stale']) writes.inc({ slot, status }, 0);
  for (const kind of ['row', 'value', 'stream']) errors.inc({ slot, kind }, 0);
  applied.inc({ slot }, 0);
  batches.inc({ slot }, 0);
  retries.inc({ slot }, 0);
  active.set({ slot }, 0);

  const listeners: { [E in keyof FollowerEvents]?: (data: FollowerEvents[E]) => void } = {
    active: () => active.set({ slot }, 1),
    inactive: () => active.set({ slot }, 0),
    batch: (e) => {
      batches.inc({ slot });
      writes.inc({ slot, status: 'written' }, e.written);
      writes.inc({ slot, status: 'duplicate' }, e.duplicate);
      writes.inc({ slot, status: 'stale' }, e.stale);
    },
    applied: (e) => {
      applied.inc({ slot }, e.changes);
      lag.set({ slot }, e.lagMs / 1000);
    },
    retry: () => retries.inc({ slot }),
    error: (e) => errors.inc({ slot, kind: e.kind }),
  };
  for (const [event, listener] of Object.entries(listeners)) {
    follower.events.on(event as keyof FollowerEvents, listener as never);
  }
  return {
    unregister() {
      for (const [event, listener] of Object.entries(listeners)) {
        follower.events.off(event as keyof FollowerEvents, listener as never);
      }
    },
  };
}
