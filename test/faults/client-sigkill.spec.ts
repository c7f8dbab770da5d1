import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OrderedCache } from '../../src/cache/ordered-cache.js';
import type { StartedStack } from '../../src/testing/index.js';
import { WorkerProcess } from '../cache/worker-process.js';
import { startTestStack } from '../support/stack.js';
import { createProducts, openPool, productLoader } from './workload.js';

const NAMESPACE = 'sigkill';
const DOOMED_SESSION_TIMEOUT_MS = 2_000;

describe('a client process killed with SIGKILL while holding locks', () => {
  let stack: StartedStack;
  let pool: pg.Pool;
  let keys: string[];
  let cache: OrderedCache<number>;
  let doomed: WorkerProcess | undefined;

  beforeAll(async () => {
    stack = await startTestStack({ zookeeper: { fsync: false } });
    pool = openPool(stack.postgres.url, 4);
    keys = await createProducts(pool, 3);
    // test/fixtures/cache-worker.mjs counts its loads here.
    await pool.query(
      'CREATE TABLE load_counter (id int PRIMARY KEY, n int NOT NULL); INSERT INTO load_counter VALUES (1, 0)',
    );
    cache = await OrderedCache.connect<number>({
      zookeeper: { connectString: stack.zookeeper.connectString, sessionTimeoutMs: 6_000 },
      redis: stack.redis.url,
      namespace: NAMESPACE,
      lockTimeoutMs: 15_000,
    });
  });
  afterAll(async () => {
    await doomed?.stop();
    await cache?.close();
    await pool?.end();
    await stack?.stop();
  });

  it('its znodes vanish when its session expires, and the waiters proceed and load', async () => {
    doomed = await WorkerProcess.start({
      zookeeper: stack.zookeeper.connectString,
      redis: stack.redis.url,
      postgres: stack.postgres.url,
      namespace: NAMESPACE,
      sessionTimeoutMs: DOOMED_SESSION_TIMEOUT_MS,
      label: 'doomed',
    });
    const worker = doomed;
    // The worker takes three keys' locks and stays inside their loaders (it never replies).
    keys.forEach(
      (key, i) => void worker.call('load-and-hold', { key, rowId: i + 1, tag: key }, 60_000).catch(() => {}),
    );
    await Promise.all(keys.map((key) => worker.nextEvent((m) => m.event === 'loaded' && m.tag === key)));
    const holders = await Promise.all(keys.map(async (key) => (await cache.locks.state(key)).holder));
    expect(holders.map((h) => h?.holder?.pid)).toEqual(keys.map(() => worker.pid));
    const doomedSession = holders[0]!.sessionId;
    const doomedInDump = `0x${BigInt(`0x${doomedSession}`).toString(16)}`;
    expect(await stack.zookeeper.fourLetterWord('dump')).toContain(doomedInDump);

    // Waiters from this process queue behind it.
    const waits = keys.map((key) =>
      cache.get(key, productLoader(pool, key)).then((value) => ({ value, at: Date.now() })),
    );
    const queuedDeadline = Date.now() + 5_000;
    let queued = 0;
    while (Date.now() < queuedDeadline && queued < keys.length) {
      queued = (await Promise.all(keys.map((key) => cache.locks.state(key)))).filter(
        (s) => s.waiters.length === 1,
      ).length;
    }
    expect(queued).toBe(keys.length);

    worker.child.kill('SIGKILL');
    const killedAt = Date.now();
    const results = await Promise.all(waits);
    const proceededAfterMs = results.map((r) => r.at - killedAt);
    console.info(
      `SIGKILL with 3 locks held; session timeout ${DOOMED_SESSION_TIMEOUT_MS} ms; waiters proceeded after ${proceededAfterMs.join(', ')} ms`,
    );

    // The waiters got the rows (their own loads, not the dead worker's).
    const { rows } = await pool.query<{ id: number; price: number }>('SELECT id, price FROM products ORDER BY id');
    expect(results.map((r) => r.value)).toEqual(rows.map((r) => r.price));
    // Not before the server expired the session (the TCP reset alone does not end it), nor much after.
    for (const ms of proceededAfterMs) {
      expect(ms).toBeGreaterThanOrEqual(DOOMED_SESSION_TIMEOUT_MS - 500);
      expect(ms).toBeLessThan(DOOMED_SESSION_TIMEOUT_MS + 3_000);
    }
    // None of its znodes is left, and the server no longer knows the session.
    const everyNode = (await cache.locks.list()).flatMap((s) => [...(s.holder ? [s.holder] : []), ...s.waiters]);
    expect(everyNode.filter((n) => n.sessionId === doomedSession)).toEqual([]);
    expect(await stack.zookeeper.fourLetterWord('dump')).not.toContain(doomedInDump);
  });
});
