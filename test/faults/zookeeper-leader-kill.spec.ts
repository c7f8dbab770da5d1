import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OrderedCache } from '../../src/cache/ordered-cache.js';
import type { StartedStack, StartedZooKeeperServer } from '../../src/testing/index.js';
import { needs, startTestStack } from '../support/stack.js';
import {
  compareCacheWithDatabase,
  createProducts,
  errorCode,
  openPool,
  type RetryPolicy,
  runWorkload,
} from './workload.js';

const topology = needs('topology', 'kills the leader of a 3-server ZooKeeper ensemble');

const WORKERS = 50;
const SESSION_TIMEOUT_MS = 6_000;

/**
 * The retry policy under test, as the README documents it for a ZooKeeper failover: an operation
 * that fails because the lock could not be had in time or a server did not answer
 * (E_LOCK_TIMEOUT, E_CONNECTION, E_LOCK_LOST) is retried once.
 */
const RETRY_ONCE: RetryPolicy = {
  attempts: 2,
  backoffMs: 100,
  absorbs: (error) => ['E_LOCK_TIMEOUT', 'E_CONNECTION', 'E_LOCK_LOST'].includes(errorCode(error)),
};

/** Session ids each server reports in `cons`, as bigints (the formats of `cons` and the client differ in zero padding). */
async function sessionsByServer(servers: readonly StartedZooKeeperServer[]): Promise<Map<number, Set<bigint>>> {
  const result = new Map<number, Set<bigint>>();
  for (const server of servers.filter((s) => s.isRunning && !s.isPaused)) {
    const cons = await server.fourLetterWord('cons', { timeoutMs: 2_000 });
    result.set(server.id, new Set([...cons.matchAll(/sid=0x([0-9a-f]+)/g)].map((m) => BigInt(`0x${m[1]}`))));
  }
  return result;
}

describe('killing the ZooKeeper leader while 50 workers lock and write', topology, () => {
  let stack: StartedStack;
  let pool: pg.Pool;
  let keys: string[];
  const caches: OrderedCache<number>[] = [];

  beforeAll(async () => {
    stack = await startTestStack({ zookeeper: { servers: 3, fsync: false } });
    pool = openPool(stack.postgres.url, 20);
    keys = await createProducts(pool, 20);
    // 50 in-process workers, each with its own OrderedCache: its own ZooKeeper session (spread by
    // the client over the three servers) and its own Redis connection.
    for (let i = 0; i < WORKERS; i += 1) {
      caches.push(
        await OrderedCache.connect<number>({
          zookeeper: { connectString: stack.zookeeper.connectString, sessionTimeoutMs: SESSION_TIMEOUT_MS },
          redis: stack.redis.url,
          namespace: 'leader-kill',
          lockTimeoutMs: 5_000,
          label: `worker-${i}`,
        }),
      );
    }
  });
  afterAll(async () => {
    await Promise.allSettled(caches.map((c) => c.close()));
    await pool?.end();
    await stack?.stop();
  });

  it('elects a new leader, moves the sessions, absorbs every error with one retry, and leaves no stale value', async () => {
    const ours = new Set(caches.map((c) => BigInt(`0x${c.zookeeper.sessionId!}`)));
    const oldLeader = await stack.zookeeper.leader();
    const before = await sessionsByServer(stack.zookeeper.servers);
    const onOldLeader = [...(before.get(oldLeader.id) ?? [])].filter((sid) => ours.has(sid));
    // 50 sessions shuffled over 3 servers: some are on the leader (all missing it has odds (2/3)^50).
    expect(onOldLeader.length).toBeGreaterThan(0);

    const retryReasons = new Set<string>();
    const workload = runWorkload({
      caches,
      workers: WORKERS,
      pool,
      keys,
      policy: RETRY_ONCE,
      readShare: 0.3,
      onRetry: (op, _key, error) => retryReasons.add(`${op}: ${(error as Error).message}`),
    });
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    const beforeKill = workload.stats.updates + workload.stats.reads;

    await oldLeader.kill();
    const killedAt = Date.now();
    const newLeader = await stack.zookeeper.leader({ timeoutMs: 15_000 });
    const electionMs = Date.now() - killedAt;
    // Keep writing through and after the failover until every session has moved, then a little more.
    let moved: Set<bigint> = new Set();
    const deadline = Date.now() + 15_000;
    while (Date.now() < deadline) {
      const after = await sessionsByServer(stack.zookeeper.servers);
      moved = new Set([...after.values()].flatMap((s) => [...s]));
      if (onOldLeader.every((sid) => moved.has(sid))) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const movedMs = Date.now() - killedAt;
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    const stats = await workload.stop();

    const afterKill = stats.updates + stats.reads - beforeKill;
    console.info(
      `leader ${oldLeader.id} killed; new leader ${newLeader.id} after ${electionMs} ms; ${onOldLeader.length} sessions moved within ${movedMs} ms; ` +
        `ops before kill ${beforeKill}, after ${afterKill}; set outcomes ${JSON.stringify(stats.setStatus)}; retries ${JSON.stringify(stats.retried)}: ${[...retryReasons].slice(0, 4).join(' / ')}`,
    );
    expect(newLeader.id).not.toBe(oldLeader.id);
    // Sessions survive the failover: the same ids, now on the surviving servers.
    expect(onOldLeader.filter((sid) => !moved.has(sid))).toEqual([]);
    expect(caches.map((c) => BigInt(`0x${c.zookeeper.sessionId!}`)).filter((sid) => !ours.has(sid))).toEqual([]);
    expect(stats.failures).toEqual([]);
    expect(afterKill).toBeGreaterThan(0);

    // cache == database for every key (all 20 keys were written or read many times over).
    expect(await compareCacheWithDatabase(caches[0]!, pool, keys)).toEqual([]);
  });
});
