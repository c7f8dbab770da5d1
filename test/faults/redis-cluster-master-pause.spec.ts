import { Cluster } from 'ioredis';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OrderedCache } from '../../src/cache/ordered-cache.js';
import { ConnectionError } from '../../src/errors.js';
import { entryRedisKey } from '../../src/redis/index.js';
import type { StartedStack } from '../../src/testing/index.js';
import { slotRange } from '../../src/testing/local/redis-cluster.js';
import { needs, startTestStack } from '../support/stack.js';
import {
  compareCacheWithDatabase,
  createProducts,
  errorCode,
  openPool,
  productLoader,
  type RetryPolicy,
  runWorkload,
} from './workload.js';

const topology = needs('topology', 'pauses one master of a 3-master Redis Cluster');

const NAMESPACE = 'cluster-pause';
const COMMAND_TIMEOUT_MS = 500;
const PAUSE_MS = 2_500;

/**
 * While a master is paused, a cache call on its slots fails after `redisCommandTimeoutMs`; the
 * writer already committed its row, so it retries the same write (same version: a retry is safe)
 * until the master is back. Bounded: 40 attempts of ≤ ~0.6 s.
 */
const RETRY_UNTIL_BACK: RetryPolicy = {
  attempts: 40,
  backoffMs: 100,
  absorbs: (error) => ['E_CONNECTION', 'E_LOCK_TIMEOUT'].includes(errorCode(error)),
};

describe('one Redis Cluster master paused and resumed during writes', topology, () => {
  let stack: StartedStack;
  let pool: pg.Pool;
  let keys: string[];
  const caches: OrderedCache<number>[] = [];
  /** keysByNode[i]: the cache keys whose entry lives in master i's slots. */
  const keysByNode: string[][] = [[], [], []];

  beforeAll(async () => {
    stack = await startTestStack({ zookeeper: { fsync: false }, redis: { cluster: { masters: 3 } } });
    pool = openPool(stack.postgres.url, 12);
    keys = await createProducts(pool, 30);
    const cluster = new Cluster([{ host: '127.0.0.1', port: stack.redis.nodes[0]!.port }], { lazyConnect: true });
    await cluster.connect();
    try {
      for (const key of keys) {
        const slot = (await cluster.cluster('KEYSLOT', entryRedisKey(NAMESPACE, key))) as number;
        keysByNode[[0, 1, 2].find((i) => slot >= slotRange(i, 3).first && slot <= slotRange(i, 3).last)!]!.push(key);
      }
    } finally {
      cluster.disconnect();
    }
    for (let i = 0; i < 6; i += 1) {
      caches.push(
        await OrderedCache.connect<number>({
          zookeeper: { connectString: stack.zookeeper.connectString, sessionTimeoutMs: 6_000 },
          redis: [...stack.redis.urls],
          namespace: NAMESPACE,
          redisCommandTimeoutMs: COMMAND_TIMEOUT_MS,
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

  it('keeps writing to the other masters, resumes the paused one, and leaves no stale value', async () => {
    expect(keysByNode.every((k) => k.length > 0)).toBe(true);
    // Every key cached before the workload, so the end check covers every key whatever the machine's
    // load made the random workload pick.
    for (const key of keys) await caches[0]!.get(key, productLoader(pool, key));
    const completions: { at: number; node: number }[] = [];
    const retryCodes = new Set<string>();
    const nodeOf = (key: string): number => keysByNode.findIndex((k) => k.includes(key));
    // 12 workers, 4 per master: a worker stuck on the paused master's slots cannot starve the others.
    const workload = runWorkload({
      caches,
      workers: 12,
      pool,
      keys,
      policy: RETRY_UNTIL_BACK,
      readShare: 0.3,
      keysOfWorker: (worker) => keysByNode[worker % 3]!,
      // A `stale` set may be answered in this process (a newer write of the key was already in
      // flight: write coalescing), without reaching the paused master, so it is not progress there.
      onSuccess: (_op, key, status) => {
        if (status !== 'stale') completions.push({ at: Date.now(), node: nodeOf(key) });
      },
      onRetry: (_op, _key, error) => retryCodes.add(errorCode(error)),
    });
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    const paused = stack.redis.nodes[1]!;
    await paused.pause();
    const pausedAt = Date.now();
    await new Promise((resolve) => setTimeout(resolve, PAUSE_MS));
    const resumedAt = Date.now();
    await paused.resume();
    // After the resume, writes to the paused master's slots go through again.
    const deadline = Date.now() + 15_000;
    while (Date.now() < deadline && completions.filter((c) => c.node === 1 && c.at > resumedAt).length < 10) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const stats = await workload.stop();

    // Operations that finished well inside the pause (after one command timeout had passed).
    const during = (node: number): number =>
      completions.filter((c) => c.node === node && c.at > pausedAt + COMMAND_TIMEOUT_MS + 200 && c.at < resumedAt)
        .length;
    const after1 = completions.filter((c) => c.node === 1 && c.at > resumedAt).length;
    console.info(
      `keys per master ${keysByNode.map((k) => k.length).join('/')}; during the ${PAUSE_MS} ms pause: master0 ${during(0)} ops, master1 ${during(1)}, master2 ${during(2)}; ` +
        `master1 after resume ${after1}; set outcomes ${JSON.stringify(stats.setStatus)}; retries ${JSON.stringify(stats.retried)}`,
    );
    expect(during(0)).toBeGreaterThan(10);
    expect(during(2)).toBeGreaterThan(10);
    expect(during(1)).toBe(0);
    expect(after1).toBeGreaterThanOrEqual(10);
    expect(stats.retried.E_CONNECTION).toBeGreaterThan(0);
    expect(stats.failures).toEqual([]);
    // cache == database for every key that was cached (a key may never have been picked: say which).
    const mismatches = await compareCacheWithDatabase(caches[0]!, pool, keys);
    expect(mismatches).toEqual([]);
  });

  it('a call on the paused master fails with ConnectionError (server redis) after redisCommandTimeoutMs, then works', async () => {
    const cache = caches[0]!;
    const key = keysByNode[1]![0]!;
    const paused = stack.redis.nodes[1]!;
    await paused.pause();
    const started = Date.now();
    let error: unknown;
    try {
      error = await cache.set(key, 1, 10n ** 15n).catch((e: unknown) => e);
    } finally {
      await paused.resume();
    }
    const elapsedMs = Date.now() - started;
    expect(error).toBeInstanceOf(ConnectionError);
    expect(error).toMatchObject({ code: 'E_CONNECTION', server: 'redis' });
    expect((error as Error).message).toMatch(
      /Redis did not complete the compare-write script on zkoc:cluster-pause:.*Command timed out/,
    );
    expect(elapsedMs).toBeGreaterThanOrEqual(COMMAND_TIMEOUT_MS - 50);
    expect(elapsedMs).toBeLessThan(COMMAND_TIMEOUT_MS + 2_000);
    // The timed-out script may still run when the master resumes; either way the retry is safe.
    const retried = await cache.set(key, 1, 10n ** 15n);
    expect(['written', 'duplicate']).toContain(retried.status);
    expect((await cache.peek(key))?.timestamp).toBe(10n ** 15n);
  });
});
