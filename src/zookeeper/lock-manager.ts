import { deadlineTimer, MAX_TIMER_MS } from '../core/deadline.js';
import { assertValidKey } from '../core/key.js';
import { ClosedError, ConnectionError, InvalidOptionsError, type LockLostReason } from '../errors.js';
import { zookeeperModule } from './client-module.js';
import { HeldLock, type Lock } from './held-lock.js';
import { encodeHolderInfo } from './holder-info.js';
import { Interruption, SESSION_ENDED } from './interruption.js';
import { LocalFifo } from './local-fifo.js';
import { parseLockManagerOptions } from './lock-manager-options.js';
import { getsTheLock, newProtectedPrefix, parseLockName } from './lock-node-name.js';
import { keyParentPath } from './lock-paths.js';
import { type LockState, readAllLockStates, readLockState } from './lock-state.js';
import { isZkError, type ZkSession } from './zk-session.js';
import type { ConnectionState, ZooKeeperConnection } from './zookeeper-connection.js';

const { CreateMode } = zookeeperModule;

/**
 * Fault injection for tests. `afterCreate` runs after the server created our contender node and
 * before we use its path; throwing a ConnectionError there is a create whose reply was lost.
 */
export interface LockTestHooks {
  afterCreate?(path: string): void | Promise<void>;
}

/** Options of {@link LockManager}. */
export interface LockManagerOptions {
  /** Parent of every per-key lock znode, e.g. `/zkoc/products/locks`. Created on demand. */
  root: string;
  /** Shown as the holder's label by `state()`/`list()` and the CLI. */
  label?: string;
  /**
   * Default `timeoutMs` of {@link LockManager.acquire}. `Infinity` (or anything over 2^31-1 ms,
   * about 24.8 days, the longest a timer can wait) waits until the signal aborts.
   * @default 5_000
   */
  timeoutMs?: number;
  /**
   * When held locks are declared lost. `expired` (default): when the session expires or is presumed
   * lost (no server reply for the session timeout); a mere disconnect keeps the lock, since the
   * session (and our znode) may well survive it and the Redis timestamp fence keeps a late writer
   * harmless. `suspended`: as soon as the connection drops or a heartbeat goes unanswered (Curator's
   * default, safer against pauses, more spurious losses).
   * @default 'expired'
   */
  lostOn?: 'suspended' | 'expired';
  /** Fault injection for tests; leave unset in production. */
  hooks?: LockTestHooks;
  /**
   * How long an empty per-key parent znode is kept after our last contender for it left, so a key
   * locked again soon costs no parent create/delete (two quorum writes per cycle otherwise). `0`
   * deletes it right behind our node. Pending deletions run at once on `settled()` and before
   * `ZooKeeperConnection.close()` ends the session; `Infinity` leaves them to those two.
   * @default 1_000
   */
  parentLingerMs?: number;
}

/** Options of {@link LockManager.acquire}. */
export interface AcquireOptions {
  /** Give up after this many ms (LockTimeoutError). @default the manager's `timeoutMs` (5 000) */
  timeoutMs?: number;
  /** Give up when this aborts (AbortError). */
  signal?: AbortSignal;
}

/** Options of {@link LockManager.state} and {@link LockManager.list}. */
export interface InspectOptions {
  /** Bound on the whole read. @default the session timeout */
  timeoutMs?: number;
}

/** One contender's progress, threaded through the recipe steps. */
interface Contender {
  key: string;
  parentPath: string;
  uuid: string;
  prefix: string;
  data: Buffer;
  /** Our node's path once the create reply was seen. */
  path: string | undefined;
  /** The last create we sent (its path is ours once it resolves), for `abandon` to wait for. */
  createInFlight: Promise<string> | undefined;
}

/** Raised when our node vanished while the session lives (someone deleted it): create a new one. */
const NODE_VANISHED = Symbol('node vanished');

/**
 * Per-key mutual exclusion over ZooKeeper, Curator's `InterProcessMutex` recipe:
 * ephemeral-sequential contender nodes `<root>/<encoded key>/_c_<uuid>-lock-<seq>`, lowest sequence
 * holds, each waiter watches only its predecessor (getData + watch), so a release wakes exactly one
 * waiter and contenders are served in creation order. In front of ZooKeeper, a per-key in-process
 * FIFO keeps each process at one znode per key.
 */
export class LockManager {
  private readonly root: string;
  private readonly label: string | undefined;
  private readonly defaultTimeoutMs: number;
  private readonly lostOn: 'suspended' | 'expired';
  private readonly hooks: LockTestHooks;
  private readonly queues = new Map<string, LocalFifo>();
  private readonly held = new Set<HeldLock>();
  /** The local queue turn each held lock occupies; returned on release or when its session ends. */
  private readonly turns = new Map<HeldLock, { queue: LocalFifo; parentPath: string }>();
  private readonly backgroundDeletes = new Set<Promise<void>>();
  private readonly parentLingerMs: number;
  /**
   * Parents we believe exist (we created a node under them); for an idle one (no local contender),
   * since when (performance.now()). One sweep timer deletes those idle for `parentLingerMs`.
   */
  private readonly knownParents = new Map<string, number | undefined>();
  private parentSweep: NodeJS.Timeout | undefined;

  /**
   * @throws InvalidOptionsError on a bad `root`, `label`, `timeoutMs` or `lostOn`.
   */
  constructor(
    private readonly zk: ZooKeeperConnection,
    options: LockManagerOptions,
  ) {
    const parsed = parseLockManagerOptions(options);
    this.root = parsed.root;
    this.label = parsed.label;
    this.defaultTimeoutMs = parsed.timeoutMs;
    this.lostOn = parsed.lostOn;
    this.hooks = parsed.hooks;
    this.parentLingerMs = parsed.parentLingerMs;
    zk.addCloseHook(() => this.flushParents());
    zk.on('session-ended', (session, reason) => this.loseLocksOf(session, reason === 'closed' ? 'closed' : reason));
    zk.on('state', (state: ConnectionState) => {
      if (state === 'suspended' && this.lostOn === 'suspended') {
        for (const lock of this.held) lock.markLost('connection-suspended');
      }
    });
  }

  /** The lock root this manager works under. */
  get lockRoot(): string {
    return this.root;
  }

  /**
   * Acquires the lock for `key`. Blocks until granted, `timeoutMs` passes, or `signal` aborts; in
   * the last two cases our znode is deleted before the promise rejects. Survives connection drops
   * and, while waiting, session loss (it starts over on the new session within the same deadline).
   * @throws InvalidKeyError before anything is created, for an invalid key.
   * @throws InvalidOptionsError for a negative or non-numeric `timeoutMs`.
   * @throws LockTimeoutError, AbortError, ClosedError (connection closed), ZooKeeperError (e.g. NO_AUTH).
   */
  async acquire(key: string, options: AcquireOptions = {}): Promise<Lock> {
    assertValidKey(key);
    const timeoutMs = parseTimeout('timeoutMs', options.timeoutMs ?? this.defaultTimeoutMs);
    if (this.zk.state === 'closed') throw new ClosedError('ZooKeeperConnection');
    const startedAt = performance.now();
    const parentPath = keyParentPath(this.root, key);
    const interruption = new Interruption(key, timeoutMs, options.signal);
    try {
      this.keepParent(parentPath);
      let queue = this.queues.get(parentPath);
      if (!queue) {
        queue = new LocalFifo();
        this.queues.set(parentPath, queue);
      }
      const ticket = queue.enter();
      try {
        // The uncontended case skips a race and a turn of the microtask queue.
        if (!ticket.immediate || interruption.error) await interruption.race(ticket.ready);
        const { uuid, prefix } = newProtectedPrefix();
        const contender: Contender = {
          key,
          parentPath,
          uuid,
          prefix,
          data: encodeHolderInfo(this.label, Date.now()),
          path: undefined,
          createInFlight: undefined,
        };
        const { session, path } = await this.contend(contender, interruption);
        const lock = new HeldLock(key, path, session, performance.now() - startedAt, (held) => this.release(held));
        this.held.add(lock);
        this.turns.set(lock, { queue, parentPath });
        return lock;
      } catch (error) {
        ticket.cancel();
        this.dropQueueIfIdle(parentPath, queue);
        this.scheduleParentDelete(parentPath);
        throw error;
      }
    } finally {
      interruption.dispose();
    }
  }

  /**
   * Who holds `key` and who waits, read from the server (one getChildren, then one getData per node).
   * @throws InvalidKeyError, ConnectionError (no session within `timeoutMs`), ClosedError.
   */
  async state(key: string, options: InspectOptions = {}): Promise<LockState> {
    assertValidKey(key);
    return this.withSession(options, (session) => readLockState(session, key, keyParentPath(this.root, key)));
  }

  /**
   * Every key under the root with a holder or waiters, keys decoded to their original text.
   * @throws ConnectionError (no session within `timeoutMs`), ClosedError.
   */
  async list(options: InspectOptions = {}): Promise<LockState[]> {
    return this.withSession(options, (session) => readAllLockStates(session, this.root));
  }

  /** Number of locks this manager holds right now. */
  get heldCount(): number {
    return this.held.size;
  }

  /** Resolves when every background release retry has finished (deleted, or the session ended). */
  async settled(): Promise<void> {
    await this.flushParents();
    while (this.backgroundDeletes.size > 0) await Promise.allSettled([...this.backgroundDeletes]);
  }

  private async withSession<T>(options: InspectOptions, read: (session: ZkSession) => Promise<T>): Promise<T> {
    const timeoutMs = parseTimeout('timeoutMs', options.timeoutMs ?? this.zk.sessionTimeoutMs);
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = deadlineTimer(timeoutMs, () =>
        reject(new ConnectionError('zookeeper', `no answer from ZooKeeper within timeoutMs=${timeoutMs}`)),
      );
    });
    try {
      const work = this.zk.liveSession().then(read);
      work.catch(() => undefined);
      return await Promise.race([work, deadline]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** The recipe: create (protected) → list → hold or watch the predecessor → repeat. */
  private async contend(c: Contender, interruption: Interruption): Promise<{ session: ZkSession; path: string }> {
    for (;;) {
      interruption.bindSession(undefined);
      const session = await interruption.race(this.zk.liveSession());
      interruption.bindSession(session);
      c.path = undefined;
      c.createInFlight = undefined;
      try {
        for (;;) {
          try {
            let children: string[] | undefined;
            if (c.path === undefined) children = await this.createOurNode(session, c, interruption);
            const outcome = await this.waitUntilFirst(session, c, c.path!, children, interruption);
            if (outcome === 'acquired') return { session, path: c.path! };
            // our node vanished under a live session: start over with a new node
          } catch (error) {
            // a dropped connection under a live session: our node (if any) is still queued, keep going
            if (!(error instanceof ConnectionError) || session.ended !== undefined) throw error;
            await interruption.race(
              new Promise((resolve) => setTimeout(resolve, Math.min(100, Math.ceil(session.sessionTimeoutMs / 20)))),
            );
          }
        }
      } catch (error) {
        if (error === SESSION_ENDED && !interruption.error) continue; // its ephemeral node dies with it
        await this.abandon(session, c);
        throw error === SESSION_ENDED ? interruption.error : error;
      }
    }
  }

  /**
   * Sends create-parent, create-node and getChildren back to back (ZooKeeper answers a session's
   * requests in order, so this is one round trip and the listing already includes our node).
   * Sets `c.path`; resolves with the listing, or `undefined` when it failed (list again).
   */
  private async createOurNode(
    session: ZkSession,
    c: Contender,
    interruption: Interruption,
  ): Promise<string[] | undefined> {
    for (;;) {
      // NODE_EXISTS is the usual answer; NO_NODE means the root itself is missing (handled below).
      const parentAssumed = this.knownParents.has(c.parentPath);
      // resolves with the refusal (NODE_EXISTS mostly), kept to tell a missing root from a refused parent
      const parentRefusal = parentAssumed
        ? undefined
        : session.create(c.parentPath, null, CreateMode.PERSISTENT).then(
            () => undefined,
            (error: unknown) => error,
          );
      const created = session.create(`${c.parentPath}/${c.prefix}`, c.data, CreateMode.EPHEMERAL_SEQUENTIAL);
      const afterCreate = this.hooks.afterCreate;
      c.createInFlight = afterCreate
        ? created.then(async (path) => {
            await afterCreate(path);
            return path;
          })
        : created;
      const listed = session.getChildren(c.parentPath);
      try {
        c.path = await interruption.race(c.createInFlight);
      } catch (error) {
        listed.catch(() => undefined);
        if (isZkError(error, 'NO_NODE') && parentAssumed) {
          this.knownParents.delete(c.parentPath); // someone else removed it: send the parent create next time
          continue;
        }
        if (isZkError(error, 'NO_NODE')) {
          // the root's ACL refused our parent: retrying would spin until the timeout
          const refusal = await interruption.race(parentRefusal ?? Promise.resolve(undefined));
          if (isZkError(refusal, 'NO_AUTH')) throw refusal;
          await interruption.race(session.mkdirp(this.root)); // the root is missing: make it, then try again
          continue;
        }
        if (error instanceof ConnectionError && session.ended === undefined) {
          // the reply was lost, the node may exist: Curator's protected mode finds it by our uuid
          const found = await interruption.race(this.findOurNode(session, c));
          if (found) {
            c.path = found;
            return undefined;
          }
          continue;
        }
        throw error;
      }
      if (!parentAssumed && !this.knownParents.has(c.parentPath)) this.knownParents.set(c.parentPath, undefined);
      try {
        return await interruption.race(listed);
      } catch (error) {
        if (error === SESSION_ENDED || error === interruption.error) throw error;
        return undefined; // waitUntilFirst lists again
      }
    }
  }

  private async findOurNode(session: ZkSession, c: Contender): Promise<string | undefined> {
    let children: string[];
    try {
      children = await session.getChildren(c.parentPath);
    } catch (error) {
      if (isZkError(error, 'NO_NODE')) return undefined;
      throw error;
    }
    const ours = children.find((name) => parseLockName(name)?.uuid === c.uuid);
    return ours === undefined ? undefined : `${c.parentPath}/${ours}`;
  }

  /** Curator's internalLockLoop: hold when first, else wait for the predecessor to change. */
  private async waitUntilFirst(
    session: ZkSession,
    c: Contender,
    path: string,
    listed: string[] | undefined,
    interruption: Interruption,
  ): Promise<'acquired' | typeof NODE_VANISHED> {
    const ourName = path.slice(c.parentPath.length + 1);
    let children = listed;
    for (;;) {
      children ??= await interruption.race(session.getChildren(c.parentPath));
      const turn = getsTheLock(children, ourName);
      children = undefined;
      if (turn.getsTheLock) return 'acquired';
      if (turn.pathToWatch === undefined) {
        c.path = undefined;
        c.createInFlight = undefined;
        return NODE_VANISHED;
      }
      let wake!: () => void;
      const woken = new Promise<void>((resolve) => (wake = resolve));
      try {
        // getData, not exists: if the predecessor is already gone, no watch is left behind
        await interruption.race(session.getData(`${c.parentPath}/${turn.pathToWatch}`, () => wake()));
      } catch (error) {
        if (isZkError(error, 'NO_NODE')) continue; // predecessor left between list and watch
        throw error;
      }
      await interruption.race(woken);
    }
  }

  /** Deletes our node after a timeout, abort or error; a create still in flight is waited for first. */
  private async abandon(session: ZkSession, c: Contender): Promise<void> {
    if (session.ended !== undefined) return;
    if (c.path === undefined && c.createInFlight) {
      c.path = await c.createInFlight.then(
        (path) => path,
        () => undefined,
      );
      if (c.path === undefined && session.ended === undefined) {
        c.path = await this.findOurNode(session, c).catch(() => undefined);
      }
    }
    if (c.path !== undefined) await this.deleteNode(session, c.path, c.parentPath).catch(() => undefined);
    this.scheduleParentDelete(c.parentPath);
  }

  /** Cancels a pending delete of `parentPath`: a contender is about to use it. */
  private keepParent(parentPath: string): void {
    if (this.knownParents.get(parentPath) !== undefined) this.knownParents.set(parentPath, undefined);
  }

  /**
   * Deletes the key's parent once no local contender used it for `parentLingerMs`. One sweep timer
   * for all parents: a timer per release was a measurable share of a lock cycle.
   */
  private scheduleParentDelete(parentPath: string): void {
    if (this.queues.has(parentPath)) return;
    if (this.parentLingerMs === 0) {
      this.knownParents.delete(parentPath);
      return;
    }
    this.knownParents.set(parentPath, performance.now());
    if (this.parentSweep === undefined && this.parentLingerMs <= MAX_TIMER_MS) this.armParentSweep(this.parentLingerMs);
  }

  private armParentSweep(delayMs: number): void {
    this.parentSweep = setTimeout(() => this.sweepParents(), Math.max(1, Math.ceil(delayMs)));
    this.parentSweep.unref();
  }

  private sweepParents(): void {
    this.parentSweep = undefined;
    const now = performance.now();
    let nextDue = Infinity;
    for (const [parentPath, idleSince] of this.knownParents) {
      if (idleSince === undefined) continue;
      const due = idleSince + this.parentLingerMs;
      if (due <= now) void this.deleteParent(parentPath);
      else nextDue = Math.min(nextDue, due);
    }
    if (nextDue - now <= MAX_TIMER_MS) this.armParentSweep(nextDue - now);
  }

  private async deleteParent(parentPath: string): Promise<void> {
    if (this.queues.has(parentPath)) return; // in use again
    this.knownParents.delete(parentPath);
    if (this.zk.state === 'closed' || this.zk.state === 'lost') return;
    const session = await this.zk.liveSession().catch(() => undefined);
    // NOT_EMPTY (others wait) and NO_NODE (already gone) are both fine
    await session?.remove(parentPath).catch(() => undefined);
  }

  /** Runs every pending parent delete now. */
  private async flushParents(): Promise<void> {
    clearTimeout(this.parentSweep);
    this.parentSweep = undefined;
    const idle = [...this.knownParents]
      .filter(([, idleSince]) => idleSince !== undefined)
      .map(([parentPath]) => parentPath);
    await Promise.all(idle.map((parentPath) => this.deleteParent(parentPath)));
  }

  private async release(lock: HeldLock): Promise<void> {
    this.held.delete(lock);
    try {
      const parentPath = this.turns.get(lock)?.parentPath ?? keyParentPath(this.root, lock.key);
      if (lock.session.ended === undefined) await this.deleteNode(lock.session, lock.path, parentPath);
    } finally {
      this.returnTurn(lock);
    }
  }

  /** Lets the next in-process contender for the key go to ZooKeeper; once per lock. */
  private returnTurn(lock: HeldLock): void {
    const turn = this.turns.get(lock);
    if (!turn) return;
    this.turns.delete(lock);
    turn.queue.leave();
    this.dropQueueIfIdle(turn.parentPath, turn.queue);
    this.scheduleParentDelete(turn.parentPath);
  }

  /**
   * Deletes a contender node and, right behind it, the key's parent (NOT_EMPTY when others wait, which
   * is fine). On connection loss the delete is retried in the background while the session lives.
   */
  private async deleteNode(session: ZkSession, path: string, parentPath: string): Promise<void> {
    const removed = session.remove(path);
    if (this.parentLingerMs === 0) session.remove(parentPath).catch(() => undefined);
    try {
      await removed;
    } catch (error) {
      if (isZkError(error, 'NO_NODE')) return; // already gone, possibly an expired session
      if (error instanceof ConnectionError) {
        this.retryDeleteInBackground(session, path, parentPath);
        return;
      }
      throw error;
    }
  }

  private retryDeleteInBackground(session: ZkSession, path: string, parentPath: string): void {
    const pauseMs = Math.max(20, Math.min(500, Math.floor(session.sessionTimeoutMs / 10)));
    const run = (async () => {
      while (session.ended === undefined) {
        await new Promise((resolve) => setTimeout(resolve, pauseMs));
        try {
          await session.remove(path);
        } catch (error) {
          if (error instanceof ConnectionError) continue;
          if (!isZkError(error, 'NO_NODE')) return;
        }
        await session.remove(parentPath).catch(() => undefined);
        return;
      }
    })();
    this.backgroundDeletes.add(run);
    void run.finally(() => this.backgroundDeletes.delete(run));
  }

  private loseLocksOf(session: ZkSession, reason: LockLostReason): void {
    for (const lock of this.held) {
      if (lock.session !== session) continue;
      lock.markLost(reason);
      // the node is gone (or goes with the session): nothing left to wait for locally
      this.held.delete(lock);
      this.returnTurn(lock);
    }
  }

  private dropQueueIfIdle(parentPath: string, queue: LocalFifo): void {
    if (queue.idle && this.queues.get(parentPath) === queue) this.queues.delete(parentPath);
  }
}

function parseTimeout(name: string, value: unknown): number {
  if (typeof value !== 'number' || Number.isNaN(value) || value < 0) {
    throw new InvalidOptionsError(
      `${name} must be a non-negative number of milliseconds (or Infinity), got ${String(value)}`,
    );
  }
  return value;
}
