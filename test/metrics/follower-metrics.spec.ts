import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { parsePrometheusText } from '../../src/cli/top/prometheus-text.js';
import { registerFollowerMetrics } from '../../src/metrics/index.js';
import { FollowerEventEmitter } from '../../src/postgres/follower/follower-events.js';

// Pure logic: the follower's events (as the follower tests see them against real servers) → metrics.
describe('registerFollowerMetrics', () => {
  it('counts applied changes, batches by write status, retries and errors, and tracks lag and leadership', async () => {
    const events = new FollowerEventEmitter();
    const registry = new Registry();
    const registered = registerFollowerMetrics({ events, slot: 'zkoc_products' }, { registry });
    const stats = {
      transactions: 2,
      changes: 5,
      writes: 4,
      written: 3,
      duplicate: 1,
      stale: 0,
      retries: 0,
      durationMs: 3,
      lagMs: 40,
    };
    events.emit('active', { slot: 'zkoc_products', sessionId: '0x1' });
    events.emit('batch', { ...stats, confirmedLsn: '0/1' });
    events.emit('applied', { changes: 5, total: 5, lagMs: 40, confirmedLsn: '0/1' });
    events.emit('retry', { attempt: 1, delayMs: 100, error: new Error('redis down') });
    events.emit('error', { kind: 'stream', error: new Error('reset') });
    const value = async (name: string, labels: Record<string, string> = {}) => {
      const samples = parsePrometheusText(await registry.metrics()).filter(
        (s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v),
      );
      expect(samples.length, name).toBe(1);
      return samples[0]!.value;
    };
    expect(await value('zkoc_follower_applied_total', { slot: 'zkoc_products' })).toBe(5);
    expect(await value('zkoc_follower_batches_total')).toBe(1);
    expect(await value('zkoc_follower_writes_total', { status: 'written' })).toBe(3);
    expect(await value('zkoc_follower_writes_total', { status: 'duplicate' })).toBe(1);
    expect(await value('zkoc_follower_writes_total', { status: 'stale' })).toBe(0);
    expect(await value('zkoc_follower_retries_total')).toBe(1);
    expect(await value('zkoc_follower_errors_total', { kind: 'stream' })).toBe(1);
    expect(await value('zkoc_follower_errors_total', { kind: 'row' })).toBe(0);
    expect(await value('zkoc_follower_lag_seconds')).toBe(0.04);
    expect(await value('zkoc_follower_active')).toBe(1);
    events.emit('inactive', { slot: 'zkoc_products', reason: 'closed' });
    expect(await value('zkoc_follower_active')).toBe(0);
    registered.unregister();
    events.emit('applied', { changes: 7, total: 12, lagMs: 10, confirmedLsn: '0/2' });
    expect(await value('zkoc_follower_applied_total')).toBe(5);
  });
});
