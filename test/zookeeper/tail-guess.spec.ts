import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StartedStack } from '../../src/testing/index.js';
import { LockManager, type ZooKeeperConnection } from '../../src/zookeeper/index.js';
import type { ZkSession } from '../../src/zookeeper/zk-session.js';
import { startTestStack } from '../support/stack.js';
import { childrenOf, connect } from './helpers.js';

/**
 * A holder that queues for the key again at once sends its predecessor watch on the newest node it
 * saw when it was granted, with its create, instead of after its listing's answer; and when its
 * create rode in one multi with its release and got the next sequence number, it sends no listing at
 * all (src/zookeeper/predecessor-watch.ts, TailGuesses and queueAfterReentry).
 */

let stack: StartedStack;
let observer: ZooKeeperConnection;

beforeAll(async () => {
  stack = await startTestStack();
  observer = await connect(stack);
});
afterAll(async () => {
  await observer?.close();
  await stack?.stop();
});

type Callback = (...args: unknown[]) => void;
interface SpiedClient {
  getChildren(path: string, cb: Callback): void;
  getData(path: string, watcher: unknown, cb: Callback): void;
  exists(path: string, watcher: unknown, cb: Callback): void;
}

/** Records the listings and getData calls a session sends, and the answers to its listings, in order. */
function spyReads(session: ZkSession): string[] {
  const seen: string[] = [];
  const client = (session as unknown as { client: SpiedClient }).client;
  const getChildren = client.getChildren.bind(client);
  client.getChildren = (path, cb) => {
    seen.push('listing sent');
    getChildren(path, (...args) => {
      seen.push('listing answered');
      cb(...args);
    });
  };
  const getData = client.getData.bind(client);
  client.getData = (path, watcher, cb) => {
    seen.push(`getData ${path.slice(path.lastIndexOf('/') + 1)}`);
    getData(path, watcher, cb);
  };
  const exists = client.exists.bind(client);
  client.exists = (path, watcher, cb) => {
    // the liveness ping is exists('/') without a watcher: left alone
    if (cb === undefined || path === '/') return (exists as (...args: unknown[]) => void)(path, watcher, cb);
    exists(path, watcher, (...args) => {
      seen.push('exists answered');
      cb(...args);
    });
  };
  return seen;
}

/** Resolves once the key's parent has `n` children. */
async function queued(parent: string, n: number): Promise<string[]> {
  for (;;) {
    const children = await childrenOf(observer, parent);
    if (children.length >= n) return children;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/**
 * Four sessions on one key: a holds, x queues, b queues two behind (so it is granted by a listing,
 * not by the shortcut), then d. a and x release: b holds, granted by a listing that names d's node
 * as the newest. The caller closes `zks`.
 */
async function grantedByAListing(root: string, dSignal?: AbortSignal) {
  const zks = await Promise.all([0, 1, 2, 3].map(() => connect(stack)));
  const [la, lx, lb, ld] = zks.map((zk) => new LockManager(zk, { root }));
  const first = await la!.acquire('k');
  const parent = first.path.slice(0, first.path.lastIndexOf('/'));
  const second = lx!.acquire('k');
  await queued(parent, 2);
  const third = lb!.acquire('k');
  await queued(parent, 3);
  const d = ld!.acquire('k', { signal: dSignal });
  const dName = (await queued(parent, 4)).sort((x, y) => x.slice(-10).localeCompare(y.slice(-10)))[3]!;
  await first.release();
  await (await second).release();
  return { zks, parent, b: lb!, held: await third, d, dName };
}

describe('the predecessor watch of a holder that queues again at once', () => {
  it('leaves with the create when the newest node it saw is still the newest, and no listing is sent', async () => {
    const { zks, b, held, d, dName } = await grantedByAListing('/tail-guess/hit');
    try {
      const seen = spyReads(await zks[2]!.liveSession());
      await held.release();
      const again = b.acquire('k'); // queues behind d's node, next in line: it watches its own node
      while (!seen.includes('exists answered')) await new Promise((resolve) => setTimeout(resolve, 5));
      await (await d).release();
      const reentered = await again;
      // before: the watch went out only after the listing's answer, and each re-entry listed once
      expect(seen).toEqual([`getData ${dName}`, 'exists answered']);
      expect(reentered.path).not.toBe(held.path);
      await reentered.release();
    } finally {
      for (const zk of zks) await zk.close();
    }
  });

  it('a wrong guess (a newcomer queued in between) is corrected: turns stay in queue order, one holder at a time', async () => {
    const root = '/tail-guess/miss';
    const zks = await Promise.all([0, 1, 2, 3].map(() => connect(stack)));
    try {
      const [la, lb, lc, ld] = zks.map((zk) => new LockManager(zk, { root }));
      const order: string[] = [];
      let holders = 0;
      const hold = async (name: string, lock: Promise<{ release(): Promise<void> }>): Promise<void> => {
        const held = await lock;
        holders++;
        order.push(name);
        expect(holders).toBe(1);
        await new Promise((resolve) => setTimeout(resolve, 20));
        holders--;
        await held.release();
      };
      const first = await la!.acquire('k');
      const parent = first.path.slice(0, first.path.lastIndexOf('/'));
      const second = lb!.acquire('k');
      await queued(parent, 2);
      const third = lc!.acquire('k');
      await queued(parent, 3);
      await first.release();
      const held = await second; // its guess: c's node
      const fourth = ld!.acquire('k'); // d queues behind c: the guess is now wrong
      await queued(parent, 3);
      await held.release();
      const seen = spyReads(await zks[1]!.liveSession());
      const again = lb!.acquire('k'); // queues behind d, not c
      await Promise.all([hold('c', third), hold('d', fourth), hold('b', again)]);
      expect(order).toEqual(['c', 'd', 'b']);
      // d's create came between b's grant and b's re-entry: the sequence does not follow, b lists
      expect(seen).toContain('listing answered');
    } finally {
      for (const zk of zks) await zk.close();
    }
  });

  it('a tail that left before the re-entry (no create since, so no listing) is found gone by its watch: the lock is ours', async () => {
    const leaving = new AbortController();
    const { zks, parent, b, held, d, dName } = await grantedByAListing('/tail-guess/gone', leaving.signal);
    try {
      leaving.abort();
      await expect(d).rejects.toThrow();
      while ((await childrenOf(observer, parent)).includes(dName)) await new Promise((r) => setTimeout(r, 5));
      const seen = spyReads(await zks[2]!.liveSession());
      await held.release();
      const again = await b.acquire('k'); // behind nobody, though the grant's listing named d
      // d was the only node ahead in the queue it knew, and is gone: no listing is needed, though one
      // goes out when the answer confirming our own-node watch came after the getData's
      expect(seen[0]).toBe(`getData ${dName}`);
      expect(seen.filter((s) => s === 'listing sent').length).toBeLessThanOrEqual(1);
      expect(again.path).not.toBe(held.path);
      await again.release();
    } finally {
      for (const zk of zks) await zk.close();
    }
  });
});
