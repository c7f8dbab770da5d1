import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StartedStack } from '../../src/testing/index.js';
import { type Lock, LockManager, ZooKeeperConnection } from '../../src/zookeeper/index.js';
import { startTestStack } from '../support/stack.js';
import { connectionFlags, runZkoc, spawnZkoc } from './run-zkoc.js';

const NAMESPACE = 'cli-locks';
const ODD_KEY = 'tenant 7/product:ü/価格 😀';

describe('zkoc locks, lock and watch against a lock held by another session', () => {
  let stack: StartedStack;
  let holderZk: ZooKeeperConnection;
  let waiterZk: ZooKeeperConnection;
  let connection: string[];

  beforeAll(async () => {
    stack = await startTestStack();
    holderZk = await ZooKeeperConnection.connect({ connectString: stack.zookeeper.connectString });
    waiterZk = await ZooKeeperConnection.connect({ connectString: stack.zookeeper.connectString });
    connection = connectionFlags(stack, NAMESPACE);
  });
  afterAll(async () => {
    await holderZk?.close();
    await waiterZk?.close();
    await stack?.stop();
  });

  it('shows the holder (host, pid, label, session, held for) and the waiter, with the key as given', async () => {
    const holder = new LockManager(holderZk, { root: `/zkoc/${NAMESPACE}/locks`, label: 'holder-worker' });
    const waiter = new LockManager(waiterZk, { root: `/zkoc/${NAMESPACE}/locks`, label: 'waiting-worker' });
    const held: Lock = await holder.acquire(ODD_KEY);
    const waiting = waiter.acquire(ODD_KEY, { timeoutMs: 20_000 });
    try {
      await expectEventually(async () => (await holder.state(ODD_KEY)).waiters.length === 1);

      const human = await runZkoc(['locks', ...connection]);
      expect(human.stderr).toBe('');
      expect(human.code).toBe(0);
      const lines = human.stdout.trimEnd().split('\n');
      expect(lines[0]).toMatch(/^KEY\s+HOLDER\s+SESSION\s+HELD FOR\s+WAITERS$/);
      expect(lines).toHaveLength(2);
      expect(lines[1]).toContain(ODD_KEY);
      expect(lines[1]).toContain(`pid ${process.pid} "holder-worker"`);
      expect(lines[1]).toContain(`0x${holderZk.sessionId!.replace(/^0+/, '')}`);
      expect(lines[1]).toMatch(/\s\d+(\.\d)?m?s\s+1: .* pid \d+ "waiting-worker"$/);

      const json = JSON.parse((await runZkoc(['locks', ...connection, '--json'])).stdout) as {
        locks: {
          key: string;
          holder: { holder: { label: string; pid: number } };
          waiters: { holder: { label: string } }[];
        }[];
      };
      expect(json.locks).toHaveLength(1);
      expect(json.locks[0]!.key).toBe(ODD_KEY);
      expect(json.locks[0]!.holder.holder).toMatchObject({ label: 'holder-worker', pid: process.pid });
      expect(json.locks[0]!.waiters.map((w) => w.holder.label)).toEqual(['waiting-worker']);

      const queue = await runZkoc(['lock', ODD_KEY, ...connection]);
      expect(queue.code).toBe(0);
      expect(queue.stdout).toContain(`key:        ${ODD_KEY}`);
      expect(queue.stdout).toMatch(/^0\s+holder\s+\d+\s+0x[0-9a-f]+\s+.*holder-worker/m);
      expect(queue.stdout).toMatch(/^1\s+waiter\s+\d+\s+0x[0-9a-f]+\s+.*waiting-worker/m);

      const filtered = await runZkoc(['locks', ...connection, '--prefix', 'other']);
      expect(filtered.stdout).toMatch(/^no locks held or waited for/);
    } finally {
      await held.release();
      await (await waiting).release();
    }
  });

  it('exits 3 from `lock` when nobody holds or waits for the key', async () => {
    const run = await runZkoc(['lock', 'nobody/here', ...connection, '--json']);
    expect(run.code).toBe(3);
    expect(JSON.parse(run.stdout)).toMatchObject({ key: 'nobody/here', holder: null, waiters: [] });
  });

  it('watch shows an acquire and a release within a second, and Ctrl-C exits 130', async () => {
    const watch = spawnZkoc(['watch', ...connection]);
    let exitCode: number | null = null;
    try {
      await watch.waitFor((_, stderr) => stderr.includes('Ctrl-C to stop'), 10_000, 'watch start');
      const manager = new LockManager(holderZk, { root: `/zkoc/${NAMESPACE}/locks`, label: 'watched-worker' });
      const key = 'watched key/ü';
      const lock = await manager.acquire(key);
      const acquiredAt = performance.now();
      await watch.waitFor(
        (stdout) => /acquired\s+"watched key\/ü" by .* pid \d+ "watched-worker"/.test(stdout),
        1_000,
        'the acquire line',
      );
      const acquireSeenMs = performance.now() - acquiredAt;
      await lock.release();
      const releasedAt = performance.now();
      await watch.waitFor(
        (stdout) => /released\s+"watched key\/ü" by .* "watched-worker", held for/.test(stdout),
        1_000,
        'the release line',
      );
      const releaseSeenMs = performance.now() - releasedAt;
      console.log(
        `zkoc watch saw acquire after ${acquireSeenMs.toFixed(0)} ms, release after ${releaseSeenMs.toFixed(0)} ms`,
      );
    } finally {
      exitCode = await watch.interrupt();
    }
    expect(exitCode).toBe(130);
    expect(watch.stderr()).toContain('stopped');
  });
});

async function expectEventually(
  condition: () => boolean | Promise<boolean>,
  timeoutMs = 10_000,
  describe: () => string = () => 'condition not met',
): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!(await condition())) {
    if (performance.now() > deadline) throw new Error(`${describe()} (waited ${timeoutMs} ms)`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
