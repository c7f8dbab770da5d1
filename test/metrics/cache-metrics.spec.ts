import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OrderedCache } from '../../src/cache/ordered-cache.js';
import { parsePrometheusText, type Sample } from '../../src/cli/top/prometheus-text.js';
import { registerMetrics } from '../../src/metrics/index.js';
import { openCache } from '../cache/fixture.js';
import { needs, useStack } from '../support/stack.js';

// A known sequence of cache operations, then every counter's exact value in the scraped text.
describe('registerMetrics', needs('faults', 'expires a ZooKeeper session to lose a held lock'), () => {
  const stack = useStack();
  let cache: OrderedCache<number>;
  let registry: Registry;
  let samples: Sample[];
  const value = (name: string, labels: Record<string, string> = {}) => {
    const found = samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
    expect(found.length, `${name} ${JSON.stringify(labels)}`).toBeGreaterThan(0);
    return found.reduce((a, s) => a + s.value, 0);
  };

  beforeAll(async () => {
    // Without the near cache: the Redis reads counted below are one per look (near-cache.spec.ts counts its hits).
    cache = await openCache<number>(stack(), {
      zookeeper: { connectString: stack().zookeeper.connectString, sessionTimeoutMs: 8_000 },
      nearCache: false,
    });
    registry = new Registry();
    registerMetrics(cache, { registry });
    const load = (ts: bigint, v: number) => async () => ({ value: v, timestamp: ts });
    await cache.get('a', load(5n, 1)); // miss, load, fill written
    await cache.get('a', load(5n, 1)); // hit
    await cache.get('a', load(5n, 1)); // hit
    await cache.get('gone', async () => ({ missing: true, timestamp: 3n })); // miss, load, fill written
    await cache.get('gone', async () => ({ missing: true, timestamp: 3n })); // negative
    await expect(
      cache.get('broken', async () => {
        throw new Error('database down');
      }),
    ).rejects.toThrow('database down'); // miss, load error
    await cache.set('a', 2, 9n); // set written
    await cache.set('a', 3, 7n); // set stale
    await cache.set('a', 2, 9n); // set duplicate
    await cache.invalidate('a', 10n); // invalidate written
    // A lost lock: the session expires while the lock is held.
    await cache.withLock('held', async (lock) => {
      const { sessionId, password } = cache.zookeeper.sessionCredentials();
      await stack().expireSession(sessionId, password);
      await new Promise((resolve) => {
        if (lock.signal.aborted) resolve(undefined);
        lock.signal.addEventListener('abort', resolve, { once: true });
      });
    });
    await cache.zookeeper.liveSession();
    samples = parsePrometheusText(await registry.metrics());
  });

  afterAll(async () => {
    await cache?.close();
  });

  it('counts reads by result', () => {
    const ns = cache.namespace;
    expect(value('zkoc_cache_requests_total', { namespace: ns, result: 'hit' })).toBe(2);
    expect(value('zkoc_cache_requests_total', { namespace: ns, result: 'negative' })).toBe(1);
    expect(value('zkoc_cache_requests_total', { namespace: ns, result: 'miss' })).toBe(3);
    expect(value('zkoc_cache_requests_total', { namespace: ns, result: 'grace' })).toBe(0);
  });

  it('counts writes by operation and outcome', () => {
    const w = (op: string, status: string) => value('zkoc_cache_writes_total', { op, status });
    expect(w('fill', 'written')).toBe(2);
    expect(w('fill', 'stale')).toBe(0);
    expect(w('set', 'written')).toBe(1);
    expect(w('set', 'stale')).toBe(1);
    expect(w('set', 'duplicate')).toBe(1);
    expect(w('invalidate', 'written')).toBe(1);
    expect(w('invalidate', 'stale')).toBe(0);
  });

  it('counts loader runs and errors, lost locks by reason, and lock waits', () => {
    expect(value('zkoc_loader_runs_total')).toBe(3);
    expect(value('zkoc_loader_errors_total')).toBe(1);
    expect(value('zkoc_loader_seconds_count')).toBe(3);
    expect(value('zkoc_lock_lost_total', { reason: 'session-expired' })).toBe(1);
    // three loads, four writes, one withLock: each took the key's lock once
    expect(value('zkoc_lock_wait_seconds_count')).toBe(8);
    expect(value('zkoc_lock_held_seconds_count')).toBe(8);
  });

  it('times every compare-script write and one serving read in 16, and counts every read at each scrape', async () => {
    // reads: 2 per miss (the first look and the re-check under the lock) + 1 per hit = 9; the first is timed
    expect(value('zkoc_redis_seconds_count', { op: 'read' })).toBe(1);
    expect(value('zkoc_redis_seconds_count', { op: 'write' })).toBe(2 + 4);
    // reads 10 and 11 (a miss), then 22 hits: reads 12 … 33, of which the 17th and the 33rd are timed
    await cache.get('hot', async () => ({ value: 1, timestamp: 1n }));
    for (let i = 0; i < 22; i++) await cache.get('hot', async () => ({ value: 0, timestamp: 0n }));
    const again = parsePrometheusText(await registry.metrics());
    const sum = (name: string, labels: Record<string, string>) =>
      again
        .filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))
        .reduce((a, s) => a + s.value, 0);
    expect(sum('zkoc_redis_seconds_count', { op: 'read' })).toBe(3);
    expect(sum('zkoc_redis_seconds_count', { op: 'write' })).toBe(2 + 4 + 1);
    expect(sum('zkoc_cache_requests_total', { result: 'hit' })).toBe(2 + 22);
    expect(sum('zkoc_cache_requests_total', { result: 'miss' })).toBe(3 + 1);
  });

  it('counts hits without listening to them: no hit event is built, and a second registry counts from its start', async () => {
    expect(cache.events.listens('hit')).toBe(false);
    const hitsSoFar = cache.events.hitCount;
    const later = new Registry();
    const metrics = registerMetrics(cache, { registry: later });
    await cache.get('a2', async () => ({ value: 1, timestamp: 1n })); // miss
    for (let i = 0; i < 3; i++) await cache.get('a2', async () => ({ value: 0, timestamp: 0n }));
    await cache.get('gone', async () => ({ value: 0, timestamp: 0n })); // negative
    const scraped = parsePrometheusText(await later.metrics());
    const count = (result: string) =>
      scraped.find((s) => s.name === 'zkoc_cache_requests_total' && s.labels.result === result)?.value;
    expect(count('hit')).toBe(3);
    expect(count('negative')).toBe(1);
    expect(cache.events.hitCount).toBe(hitsSoFar + 3);
    metrics.unregister();
  });

  it('reports the session state and the locks held now, and never labels by key', () => {
    expect(value('zkoc_zookeeper_session_state', { state: 'connected' })).toBe(1);
    expect(value('zkoc_zookeeper_session_state', { state: 'lost' })).toBe(0);
    expect(value('zkoc_locks_held')).toBe(0);
    for (const s of samples) {
      expect(Object.keys(s.labels).sort(), s.name).not.toContain('key');
      for (const v of Object.values(s.labels)) expect(['a', 'gone', 'broken', 'held']).not.toContain(v);
    }
  });
});
