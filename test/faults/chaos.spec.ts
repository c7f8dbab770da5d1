import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OrderedCache } from '../../src/cache/ordered-cache.js';
import { InvalidOptionsError, ZkocError } from '../../src/errors.js';
import { ALL_CHAOS_FAULTS, type StartedStack, startChaos } from '../../src/testing/index.js';
import { needs, startTestStack } from '../support/stack.js';
import { compareCacheWithDatabase, createProducts, openPool, type RetryPolicy, runWorkload } from './workload.js';

const faults = needs('faults', 'pauses, restarts and kills every server at random');

// Seed 8 draws zookeeper:restart, postgres:pause, postgres:restart, zookeeper:pause, redis:kill
// first: every server kind and every action within five faults.
const SEED = 8;
const FAULTS_TO_RUN = 5;
const CHAOS_LIMIT_MS = 25_000;

/**
 * Under chaos every operation is retried while its failure is transient: our E_CONNECTION (which
 * covers a Redis that does not answer or says its cluster is down), E_LOCK_TIMEOUT, E_LOCK_LOST;
 * and the pg driver's lost-connection errors: SQLSTATE class 08 (connection) or 57 (shut down,
 * starting up), a socket error (ECONNREFUSED, ECONNRESET…), or pg's own "Connection terminated…",
 * which carries no code. Anything else (an SQL error, a bug) fails the worker at once.
 * Bounded: 40 attempts, 200 ms apart, each itself bounded by the servers' timeouts.
 */
const RETRY_TRANSIENT: RetryPolicy = {
  attempts: 40,
  backoffMs: 200,
  absorbs: (error) => {
    if (error instanceof ZkocError) return ['E_CONNECTION', 'E_LOCK_TIMEOUT', 'E_LOCK_LOST'].includes(error.code);
    if (error instanceof pg.DatabaseError) return /^(08|57)/.test(error.code ?? '');
    const code = (error as { code?: unknown }).code;
    if (typeof code === 'string') return /^E[A-Z]+$/.test(code);
    return error instanceof Error && /^Connection terminated/.test(error.message);
  },
};

describe('chaos: servers paused, restarted and killed at random under ordered reads and writes', faults, () => {
  let stack: StartedStack;
  let pool: pg.Pool;
  let keys: string[];
  const caches: OrderedCache<number>[] = [];

  beforeAll(async () => {
    stack = await startTestStack({
      zookeeper: { servers: 3, fsync: false },
      redis: { cluster: { masters: 3 } },
    });
    pool = openPool(stack.postgres.url, 12);
    keys = await createProducts(pool, 20);
    for (let i = 0; i < 4; i += 1) {
      caches.push(
        await OrderedCache.connect<number>({
          zookeeper: { connectString: stack.zookeeper.connectString, sessionTimeoutMs: 6_000 },
          redis: [...stack.redis.urls],
          namespace: 'chaos',
          redisCommandTimeoutMs: 500,
          lockTimeoutMs: 5_000,
        }),
      );
    }
  });
  afterAll(async () => {
    await Promise.allSettled(caches.map((c) => c.close()));
    await pool?.end();
    await stack?.stop();
  });

  it('rejects bad options before touching a server', () => {
    expect(() => startChaos(stack, { faults: ['zookeeper:explode' as never] })).toThrow(InvalidOptionsError);
    expect(() => startChaos(stack, { faults: [] })).toThrow(/faults must be a non-empty list/);
    expect(() => startChaos(stack, { durationMs: { minMs: 10, maxMs: 5 } })).toThrow(/0 <= minMs <= maxMs/);
    expect(() => startChaos(stack, { intervalMs: -1 })).toThrow(/intervalMs must be a non-negative integer, got -1/);
  });

  it('leaves zero stale values after every kind of fault, and reports operations and faults', async () => {
    const workload = runWorkload({ caches, workers: 12, pool, keys, policy: RETRY_TRANSIENT, readShare: 0.5 });
    let enoughFaults!: () => void;
    const faultsDone = new Promise<void>((resolve) => (enoughFaults = resolve));
    const chaos = startChaos(stack, {
      seed: SEED,
      intervalMs: 250,
      durationMs: { minMs: 200, maxMs: 1_200 },
      faults: ALL_CHAOS_FAULTS,
      onFault: () => chaos.events.length >= FAULTS_TO_RUN && enoughFaults(),
    });
    let limit: NodeJS.Timeout | undefined;
    await Promise.race([faultsDone, new Promise((resolve) => (limit = setTimeout(resolve, CHAOS_LIMIT_MS)))]);
    clearTimeout(limit);
    const report = await chaos.stop();
    // Every server is back: let the workers finish what they retry, then stop them.
    const stats = await workload.stop();
    const mismatches = await compareCacheWithDatabase(caches[0]!, pool, keys);
    console.info(
      `chaos seed ${report.seed}: ${report.events.length} faults ${JSON.stringify(report.counts)} in ${report.elapsedMs} ms; ` +
        `${stats.reads} reads, ${stats.updates} updates, set outcomes ${JSON.stringify(stats.setStatus)}, retries ${JSON.stringify(stats.retried)}; ` +
        `${mismatches.filter((m) => m.cache === 'absent').length} keys not cached at the end (a restarted Redis master comes back empty)`,
    );
    expect(report.seed).toBe(SEED);
    expect(report.events.slice(0, FAULTS_TO_RUN).map((e) => e.fault)).toEqual([
      'zookeeper:restart',
      'postgres:pause',
      'postgres:restart',
      'zookeeper:pause',
      'redis:kill',
    ]);
    expect(report.events.filter((e) => e.error)).toEqual([]);
    expect(stack.zookeeper.servers.every((s) => s.isRunning && !s.isPaused)).toBe(true);
    expect(stack.redis.nodes.every((s) => s.isRunning && !s.isPaused)).toBe(true);
    expect(stats.failures).toEqual([]);
    expect(stats.reads + stats.updates).toBeGreaterThan(50);
    // Zero stale values: every cached entry is exactly its row (value and version).
    expect(mismatches.filter((m) => m.cache !== 'absent')).toEqual([]);
  });
});
