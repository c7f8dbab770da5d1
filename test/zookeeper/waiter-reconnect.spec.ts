import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StartedStack } from '../../src/testing/index.js';
import { zookeeperHosts } from '../../src/zookeeper/connect-string.js';
import { type Lock, LockManager, type ZooKeeperConnection } from '../../src/zookeeper/index.js';
import { needs, startTestStack } from '../support/stack.js';
import { connect, eventually, lockLost, parseWchp, reachesState } from './helpers.js';
import { TcpProxy } from './tcp-proxy.js';

/**
 * A waiter must not miss its turn because its own connection (or the server) was away while the
 * node ahead of it went: node-zookeeper-client re-sends its watches on reconnect (SetWatches) and
 * the server fires NODE_DELETED for nodes deleted meanwhile; and a waiter whose session ends must
 * start over once, on the next session (see docs/design.md, "Lost-node detection"). Each acquire below gets a lock timeout
 * of 8 s and must succeed within 2 s of the link coming back: a lost wake-up shows as a
 * LockTimeoutError instead.
 */

const faults = needs('faults', 'pauses ZooKeeper');
const LOCK_TIMEOUT_MS = 8000;
const PROMPT_MS = 2000;

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

let stack: StartedStack;
const proxies: TcpProxy[] = [];

beforeAll(async () => {
  // ticking every 50 ms, as `zkoc race` runs it (the server's session expiry is that fine-grained)
  stack = await startTestStack({ zookeeper: { tickTimeMs: 50 } });
});
afterAll(async () => {
  await stack?.zookeeper.resume();
  for (const proxy of proxies) await proxy.close();
  await stack?.stop();
});

async function proxy(): Promise<TcpProxy> {
  const [target] = zookeeperHosts(stack.zookeeper.connectString);
  const started = await TcpProxy.start(target!);
  proxies.push(started);
  return started;
}

/** Connects through `via` (a proxy) instead of straight to the server. */
function connectVia(via: TcpProxy, sessionTimeoutMs: number): Promise<ZooKeeperConnection> {
  return connect(stack, { connectString: via.connectString, sessionTimeoutMs, connectTimeoutMs: 1000 });
}

/** An acquire whose outcome is kept (never an unhandled rejection) with the time it settled. */
function acquiring(locks: LockManager, key: string): Promise<{ lock?: Lock; error?: unknown; at: number }> {
  return locks.acquire(key, { timeoutMs: LOCK_TIMEOUT_MS }).then(
    (lock) => ({ lock, at: performance.now() }),
    (error: unknown) => ({ error, at: performance.now() }),
  );
}

/** Waits until `key` has `count` waiters behind its holder. */
function queued(locks: LockManager, key: string, count: number): Promise<void> {
  return eventually(
    async () => (await locks.state(key)).waiters.length === count,
    3000,
    `${count} waiter(s) on ${key}`,
  );
}

/** Asserts the acquire succeeded within PROMPT_MS of `since` and returns its lock. */
function promptly(outcome: { lock?: Lock; error?: unknown; at: number }, since: number): Lock {
  expect(outcome.error, 'the waiter missed its wake-up (a LockTimeoutError after 8 s)').toBeUndefined();
  expect(outcome.at - since).toBeLessThan(PROMPT_MS);
  return outcome.lock!;
}

/**
 * Waits until the server holds a watch of `sessionId` on `path` (wchp), and a little longer for
 * its reply to reach the client: a cut made before that would fail the waiter's getData instead
 * (and the waiter would list again), so the reconnect's SetWatches would not be what is tested.
 */
async function watching(path: string, sessionId: string | undefined): Promise<void> {
  const id = `0x${(sessionId ?? '').replace(/^0+(?=.)/, '')}`;
  await eventually(
    async () => (parseWchp(await stack.zookeeper.fourLetterWord('wchp')).get(path) ?? []).includes(id),
    3000,
    `a watch of ${id} on ${path}`,
  );
  await sleep(100);
}

/** A holder (direct) and a waiter queued behind it through its own proxy, its watch on the holder set. */
interface Queue extends AsyncDisposable {
  via: TcpProxy;
  holderZk: ZooKeeperConnection;
  waiterZk: ZooKeeperConnection;
  holderLocks: LockManager;
  holder: Lock;
  waiterSession: string | undefined;
  waiting: ReturnType<typeof acquiring>;
}

async function waiterBehindHolder(root: string, waiterSessionMs: number): Promise<Queue> {
  const via = await proxy();
  const holderZk = await connect(stack);
  const waiterZk = await connectVia(via, waiterSessionMs);
  const holderLocks = new LockManager(holderZk, { root });
  const holder = await holderLocks.acquire('k');
  const waiterSession = waiterZk.sessionId;
  const waiting = acquiring(new LockManager(waiterZk, { root }), 'k');
  await watching(holder.path, waiterSession);
  return {
    via,
    holderZk,
    waiterZk,
    holderLocks,
    holder,
    waiterSession,
    waiting,
    async [Symbol.asyncDispose]() {
      await waiterZk.close();
      await holderZk.close();
    },
  };
}

describe('a waiter whose connection drops while the node ahead goes', () => {
  it('next in line: the holder releases while the waiter is cut off; it acquires right after reconnecting, same session', async () => {
    await using queue = await waiterBehindHolder('/watchloss/next/locks', 4000);
    const { via, waiterZk, holderLocks, holder, waiterSession, waiting } = queue;

    via.sever();
    await reachesState(waiterZk, 'suspended', 1000);
    await holder.release(); // the delete the waiter's watch should report
    expect((await holderLocks.state('k')).holder?.sessionId).toBe(waiterSession);
    await sleep(300);
    const healedAt = performance.now();
    via.heal();

    const lock = promptly(await waiting, healedAt);
    expect(lock.sessionId).toBe(waiterSession); // reconnected within the session, not re-queued
    expect((await holderLocks.state('k')).holder?.path).toBe(lock.path);
    await lock.release();
  });

  it('further back: two handoffs happen while the waiter is cut off; it acquires right after reconnecting', async () => {
    const root = '/watchloss/back/locks';
    const via = await proxy();
    await using firstZk = await connect(stack);
    await using secondZk = await connect(stack);
    await using waiterZk = await connectVia(via, 4000);
    const firstLocks = new LockManager(firstZk, { root });
    const secondLocks = new LockManager(secondZk, { root });
    const waiterLocks = new LockManager(waiterZk, { root });
    const first = await firstLocks.acquire('k');
    const second = secondLocks.acquire('k', { timeoutMs: LOCK_TIMEOUT_MS });
    await queued(firstLocks, 'k', 1);
    const waiterSession = waiterZk.sessionId;
    const waiting = acquiring(waiterLocks, 'k');
    await queued(firstLocks, 'k', 2);
    await watching((await firstLocks.state('k')).waiters[0]!.path, waiterSession);

    via.sever();
    await reachesState(waiterZk, 'suspended', 1000);
    await first.release();
    await (await second).release(); // the waiter's predecessor goes while it cannot hear it
    await sleep(300);
    const healedAt = performance.now();
    via.heal();

    const lock = promptly(await waiting, healedAt);
    expect((await firstLocks.state('k')).holder?.path).toBe(lock.path);
    await lock.release();
  });

  it("the holder's session expires while the waiter is cut off too; the waiter acquires right after reconnecting", async () => {
    const root = '/watchloss/expired-holder/locks';
    const holderVia = await proxy();
    const waiterVia = await proxy();
    await using observerZk = await connect(stack);
    await using holderZk = await connectVia(holderVia, 1000);
    await using waiterZk = await connectVia(waiterVia, 4000);
    const observer = new LockManager(observerZk, { root });
    const holder = await new LockManager(holderZk, { root }).acquire('k');
    const waiterSession = waiterZk.sessionId;
    const waiting = acquiring(new LockManager(waiterZk, { root }), 'k');
    await watching(holder.path, waiterSession);

    holderVia.sever(); // for good: the holder is gone, as a paused process would be
    waiterVia.sever();
    // the server expires the holder's session (about 1 s) and deletes its node meanwhile
    await eventually(async () => (await observer.state('k')).holder?.path !== holder.path, 4000, 'holder expired');
    const healedAt = performance.now();
    waiterVia.heal();

    const lock = promptly(await waiting, healedAt);
    expect(lock.sessionId).toBe(waiterSession);
    expect((await observer.state('k')).holder?.path).toBe(lock.path);
    await lock.release();
  });
});

describe('a waiter whose own session ends while it waits', () => {
  it('re-queues on a new session and acquires when the holder releases (no silent hang)', async () => {
    await using queue = await waiterBehindHolder('/watchloss/own-expiry/locks', 1000);
    const { via, waiterZk, holderLocks, holder, waiterSession: firstSession, waiting } = queue;
    const oldNode = (await holderLocks.state('k')).waiters[0]!.path;

    via.sever();
    await reachesState(waiterZk, 'lost', 3000); // our clock presumes it lost after 1 s of silence
    // the server expires it too: the old node goes
    await eventually(async () => (await holderLocks.state('k')).waiters.length === 0, 4000, 'old node gone');
    via.heal();
    await reachesState(waiterZk, 'connected', 3000);
    expect(waiterZk.sessionId).not.toBe(firstSession);
    await queued(holderLocks, 'k', 1); // queued again, on the new session
    const state = await holderLocks.state('k');
    expect(state.waiters[0]!.path).not.toBe(oldNode);

    const releasedAt = performance.now();
    await holder.release();
    const lock = promptly(await waiting, releasedAt);
    expect(lock.sessionId).toBe(waiterZk.sessionId);
    await lock.release();
  });

  it('its own node deleted, then its session lost before it could list again: it re-queues once, not behind its own node', async () => {
    // The waiter hears that its node was deleted (its own-node watch), sends a listing nobody
    // answers (muted: the server hears nothing more from it), and its 1 s session is presumed
    // lost. On the new session that old deletion must be forgotten: it once made the waiter
    // think its new node had vanished, queue a second one behind it and wait for itself.
    await using queue = await waiterBehindHolder('/watchloss/deleted-then-lost/locks', 1000);
    const { via, holderZk, waiterZk, holderLocks, holder, waiterSession: firstSession, waiting } = queue;
    const waiterNode = (await holderLocks.state('k')).waiters[0]!.path;
    await watching(waiterNode, firstSession); // next in line: it watches its own node too

    via.mute();
    await (await holderZk.liveSession()).remove(waiterNode); // its watch still reaches the waiter
    await reachesState(waiterZk, 'lost', 3000);
    await reachesState(waiterZk, 'connected', 3000);
    expect(waiterZk.sessionId).not.toBe(firstSession);
    const newSession = waiterZk.sessionId;
    await eventually(
      async () => (await holderLocks.state('k')).waiters.some((w) => w.sessionId === newSession),
      3000,
      'the waiter queued on its new session',
    );
    await sleep(200); // a second node, if any, would show up now
    const state = await holderLocks.state('k');
    expect(state.waiters.map((w) => w.sessionId)).toEqual([newSession]);

    const releasedAt = performance.now();
    await holder.release();
    const lock = promptly(await waiting, releasedAt);
    expect((await holderLocks.state('k')).holder?.path).toBe(lock.path);
    await lock.release();
    expect((await holderLocks.state('k')).waiters).toEqual([]);
  });

  it('the holder releases while the waiter has no session; it acquires right after its new session opens', async () => {
    await using queue = await waiterBehindHolder('/watchloss/own-expiry-free/locks', 1000);
    const { via, waiterZk, holderLocks, holder, waiting } = queue;

    via.sever();
    await reachesState(waiterZk, 'lost', 3000);
    await holder.release();
    const healedAt = performance.now();
    via.heal();

    // a new session (connect, create, list) and the lock: well within PROMPT_MS
    const lock = promptly(await waiting, healedAt);
    expect((await holderLocks.state('k')).holder?.path).toBe(lock.path);
    await lock.release();
  });
});

describe('a process starved past its session timeout (a loaded machine)', () => {
  it("holder's and waiter's 1 s sessions both expire while the event loop is blocked; the waiter acquires right after", async () => {
    const root = '/watchloss/starved/locks';
    await using observerZk = await connect(stack);
    await using holderZk = await connect(stack, { sessionTimeoutMs: 1000 });
    await using waiterZk = await connect(stack, { sessionTimeoutMs: 1000 });
    const observer = new LockManager(observerZk, { root });
    const holder = await new LockManager(holderZk, { root }).acquire('k');
    const waiterSession = waiterZk.sessionId;
    const waiterLocks = new LockManager(waiterZk, { root });
    const waiting = acquiring(waiterLocks, 'k');
    await watching(holder.path, waiterSession);

    // Nothing in this process runs: no heartbeat, no reply read. The server expires both sessions
    // (holder's node deleted, its NODE_DELETED queued to the waiter's socket, then that socket
    // closed), and on waking the process finds the timers and the socket's bytes at once.
    const until = performance.now() + 2200;
    let spins = 0;
    while (performance.now() < until) spins += 1;
    expect(spins).toBeGreaterThan(0);
    const wokeAt = performance.now();

    let lock = promptly(await waiting, wokeAt);
    if (lock.sessionId === waiterSession) {
      // The holder's NODE_DELETED was read before the timers ran, so the handoff granted the lock
      // on a session whose own clock had already run out: lost at once, and the next acquire works
      // on the new session. (Either way, no wait for the lock timeout.)
      expect((await lockLost(lock.signal, 1000)).reason).toMatch(/^session-(lost|expired)$/);
      lock = await waiterLocks.acquire('k', { timeoutMs: PROMPT_MS });
    }
    expect(lock.sessionId).not.toBe(waiterSession);
    expect((await observer.state('k')).holder?.path).toBe(lock.path);
    expect((await observer.state('k')).waiters).toEqual([]); // no second node of the waiter's
    await lock.release();
  });
});

describe('the server paused briefly during a handoff', () => {
  it('a release sent into a paused server hands the lock on right after the resume', faults, async () => {
    const root = '/watchloss/paused-handoff/locks';
    await using holderZk = await connect(stack);
    await using waiterZk = await connect(stack);
    const holderLocks = new LockManager(holderZk, { root });
    const holder = await holderLocks.acquire('k');
    const waiterSession = waiterZk.sessionId;
    const waiting = acquiring(new LockManager(waiterZk, { root }), 'k');
    await watching(holder.path, waiterSession);

    await stack.zookeeper.pause();
    let released: Promise<void>;
    try {
      released = holder.release(); // its delete waits in the server's socket buffer
      // a heartbeat unanswered for a third of the 4 s session turns the link `suspended` (at most
      // two thirds after the pause began, a third before the session would be presumed lost):
      // the handoff must survive that too
      await reachesState(waiterZk, 'suspended', 3000);
    } finally {
      await stack.zookeeper.resume();
    }
    const resumedAt = performance.now();
    await released;

    const lock = promptly(await waiting, resumedAt);
    expect(lock.sessionId).toBe(waiterSession);
    await lock.release();
  });

  it(
    'a waiter that queues and a holder that releases, both during the pause, hand over right after the resume',
    faults,
    async () => {
      const root = '/watchloss/paused-queue/locks';
      await using holderZk = await connect(stack);
      await using waiterZk = await connect(stack);
      const holderLocks = new LockManager(holderZk, { root });
      const waiterLocks = new LockManager(waiterZk, { root });
      const holder = await holderLocks.acquire('k');
      await (await waiterLocks.acquire('warm-up')).release(); // the waiter's session has talked to the server

      await stack.zookeeper.pause();
      let waiting: ReturnType<typeof acquiring>;
      let released: Promise<void>;
      try {
        waiting = acquiring(waiterLocks, 'k'); // create + list wait in the server's socket buffer
        await sleep(100);
        released = holder.release(); // the server may process this delete before or after the create
        await sleep(1500); // past a third of the 4 s session: the heartbeats go unanswered
      } finally {
        await stack.zookeeper.resume();
      }
      const resumedAt = performance.now();
      await released;

      const lock = promptly(await waiting, resumedAt);
      expect((await holderLocks.state('k')).holder?.path).toBe(lock.path);
      await lock.release();
    },
  );
});
