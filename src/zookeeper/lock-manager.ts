import { EventEmitter } from 'node:events';
import { withDeadline } from '../core/deadline.js';
import { assertValidKey } from '../core/key.js';
import { ClosedError, ConnectionError, type LockLostReason } from '../errors.js';
import { type Contender, watchOwnNode } from './contender.js';
import { ContenderBatch } from './contender-batch.js';
import { DeleteBatcher } from './delete-batcher.js';
import { ForeignChildren } from './foreign-children.js';
import { HeldLock, type Lock } from './held-lock.js';
import { encodeHolderInfo } from './holder-info.js';
import { Interruption } from './interruption.js';
import { LocalFifo } from './local-fifo.js';
import type { AcquireOptions, InspectOptions, LockManagerEvents, LockManagerOptions } from './lock-manager-api.js';
import { warnReleaseFailed } from './lock-manager-api.js';
import { parseLockManagerOptions, parseLockTimeoutMs } from './lock-manager-options.js';
import { newProtectedPrefix } from './lock-node-name.js';
import { keyParentPath } from './lock-paths.js';
import { LOCK_TEST_HOOKS, LockRecipe } from './lock-recipe.js';
import { type LockState, readAllLockStates, readLockState } from './lock-state.js';
import { NodeDeleter } from './node-deleter.js';
import { ParentReaper } from './parent-reaper.js';
import type { ZkSession } from './zk-session.js';
import type { ConnectionState, ZooKeeperConnection } from './zookeeper-connection.js';

export type { AcquireOptions, InspectOptions, LockManagerEvents, LockManagerOptions } from './lock-manager-api.js';

const RELEASED: Promise<void> = Promise.resolve();

/**
 * Per-key mutual exclusion over ZooKeeper, Curator's `InterProcessMutex` counterpart:
 * ephemeral-sequential contender nodes `<root>/<encoded key>/_c_<uuid>-lock-<seq>`, lowest sequence
 * holds, each waiter watches only its predecessor (getData + watch), so a release wakes exactly one
 * waiter and contenders are served in creation order. This class keeps the bookkeeping (acquire,
 * release, local turns, loss); the znode steps are {@link LockRecipe}'s, idle parents
 * {@link ParentReaper}'s. In front of ZooKeeper, a per-key in-process FIFO keeps each process at one
 * znode per key.
 */
export class LockManager extends EventEmitter<LockManagerEvents> {
  private readonly root: string;
  private readonly label: string | undefined;
  private readonly defaultTimeoutMs: number;
  private readonly lostOn: 'suspended' | 'expired';
  private readonly queues = new Map<string, LocalFifo>();
  private readonly held = new Set<HeldLock>();
  /** The local queue turn each held lock occupies; returned on release or when its session ends. */
  private readonly turns = new Map<HeldLock, { queue: LocalFifo; parentPath: string; batched: boolean }>();
  private readonly parents: ParentReaper;
  private readonly recipe: LockRecipe;
  private readonly deleter: NodeDeleter;

  /**
   * @throws InvalidOptionsError on a bad `root`, `label`, `timeoutMs` or `lostOn`.
   */
  constructor(
    private readonly zk: ZooKeeperConnection,
    options: LockManagerOptions,
  ) {
    super();
    const parsed = parseLockManagerOptions(options);
    this.root = parsed.root;
    this.label = parsed.label;
    this.defaultTimeoutMs = parsed.timeoutMs;
    this.lostOn = parsed.lostOn;
    const deletes = new DeleteBatcher();
    this.parents = new ParentReaper(zk, parsed.parentLingerMs, (parentPath) => this.queues.has(parentPath), deletes);
    this.deleter = new NodeDeleter(this.parents, deletes);
    this.recipe = new LockRecipe(
      zk,
      this.root,
      this.parents,
      parsed[LOCK_TEST_HOOKS],
      (key, deletedPath) => this.emit('node-recreated', key, deletedPath),
      new ForeignChildren((key, path, why) => this.emit('foreign-node', key, path, why)),
      this.deleter,
    );
    zk.addCloseHook(() => this.settled()); // within close()'s grace, while the session still lives
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
   * the last two cases our znode is deleted before the promise rejects when ZooKeeper answers within
   * 250 ms. A silent server does not stretch `timeoutMs`: the delete goes on in the background
   * (`settled()` waits for it) and the node dies with the session at the latest. Survives connection drops
   * and, while waiting, session loss (it starts over on the new session within the same deadline).
   * @throws InvalidKeyError before anything is created, for an invalid key.
   * @throws InvalidOptionsError for a negative or non-numeric `timeoutMs`.
   * @throws LockTimeoutError, AbortError, ClosedError (connection closed), ZooKeeperError (e.g. NO_AUTH).
   */
  acquire(key: string, options: AcquireOptions = {}): Promise<Lock> {
    return this.acquireIn(key, options, undefined);
  }

  /** {@link acquire} for many keys, a promise each: their creates leave as a few multis (ContenderBatch). */
  acquireMany(keys: readonly string[], options: AcquireOptions = {}): Promise<Lock>[] {
    const batch = new ContenderBatch(this.zk, this.root, this.parents);
    const locks = keys.map((key) => this.acquireIn(key, options, batch));
    batch.seal();
    return locks;
  }

  // Synchronous up to the create when the key is free locally: acquireMany's keys join the batch before it is sealed
  private async acquireIn(key: string, options: AcquireOptions, batch: ContenderBatch | undefined): Promise<Lock> {
    assertValidKey(key);
    const timeoutMs = parseLockTimeoutMs(options.timeoutMs ?? this.defaultTimeoutMs, 'timeoutMs');
    if (this.zk.state === 'closed') throw new ClosedError('ZooKeeperConnection');
    const startedAt = performance.now();
    const parentPath = keyParentPath(this.root, key);
    const interruption = new Interruption(key, timeoutMs, options.signal);
    try {
      this.parents.keep(parentPath);
      let queue = this.queues.get(parentPath);
      if (!queue) {
        queue = new LocalFifo();
        this.queues.set(parentPath, queue);
      }
      const ticket = queue.enter();
      let contender: Contender | undefined;
      try {
        // The uncontended case skips a race and a turn of the microtask queue.
        if (!ticket.immediate || interruption.error) await interruption.race(ticket.ready);
        const { uuid, prefix } = newProtectedPrefix();
        contender = {
          key,
          parentPath,
          uuid,
          prefix,
          data: encodeHolderInfo(this.label, Date.now()),
          path: undefined,
          createInFlight: undefined,
        };
        const { session, path } = await this.recipe.contend(contender, interruption, batch?.add(contender));
        const c = contender;
        const lock = new HeldLock(
          key,
          path,
          session,
          performance.now() - startedAt,
          (held) => this.release(held),
          () => watchOwnNode(session, c),
        );
        this.held.add(lock);
        this.turns.set(lock, { queue, parentPath, batched: batch !== undefined });
        contender.onDeleted = () => this.loseLock(lock, 'node-deleted');
        if (contender.deletedPath === path) this.loseLock(lock, 'node-deleted'); // deleted before we looked
        return lock;
      } catch (error) {
        const leave = (): void => {
          ticket.cancel();
          this.dropQueueIfIdle(parentPath, queue);
          this.parents.schedule(parentPath);
        };
        // our node may outlive the rejection (silent server): keep the turn until it is gone, so
        // this process never has two nodes for one key
        if (contender?.abandoned) void contender.abandoned.then(leave);
        else leave();
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

  /**
   * Resolves when every release's delete (and every background retry of one) has finished: the
   * node is deleted and ZooKeeper said so, or its session ended. The way to wait for a released
   * node to be gone, e.g. before observing the tree from another session or before exiting.
   */
  async settled(): Promise<void> {
    await this.parents.flush();
    await this.deleter.settled();
  }

  private withSession<T>(options: InspectOptions, read: (session: ZkSession) => Promise<T>): Promise<T> {
    const timeoutMs = parseLockTimeoutMs(options.timeoutMs ?? this.zk.sessionTimeoutMs, 'timeoutMs');
    return withDeadline(
      this.zk.liveSession().then(read),
      timeoutMs,
      () => new ConnectionError('zookeeper', `no answer from ZooKeeper within timeoutMs=${timeoutMs}`),
    );
  }

  /**
   * Sends the delete and hands the local turn on at once, without waiting for ZooKeeper's answer
   * (docs/design.md, "Release without waiting"): no other session is granted the key before the
   * delete commits, and a contender of this process pipelines its create behind the delete.
   */
  private release(lock: HeldLock): Promise<void> {
    this.held.delete(lock);
    const { parentPath = keyParentPath(this.root, lock.key), batched = false } = this.turns.get(lock) ?? {};
    if (lock.session.ended === undefined) {
      this.deleter.release(lock.session, lock.path, parentPath, batched, (error) =>
        this.reportReleaseFailure(lock, error),
      );
    }
    this.returnTurn(lock);
    return RELEASED;
  }

  /** A release's delete was refused (not NO_NODE, not a lost connection): never dropped in silence. */
  private reportReleaseFailure(lock: HeldLock, error: unknown): void {
    if (this.listenerCount('release-failed') > 0) this.emit('release-failed', lock.key, lock.path, error);
    else warnReleaseFailed(lock.path, error);
  }

  /** Lets the next in-process contender for the key go to ZooKeeper; once per lock. */
  private returnTurn(lock: HeldLock): void {
    const turn = this.turns.get(lock);
    if (!turn) return;
    this.turns.delete(lock);
    turn.queue.leave();
    this.dropQueueIfIdle(turn.parentPath, turn.queue);
    this.parents.schedule(turn.parentPath);
  }

  private loseLocksOf(session: ZkSession, reason: LockLostReason): void {
    for (const lock of this.held) {
      if (lock.session === session) this.loseLock(lock, reason);
    }
  }

  private loseLock(lock: HeldLock, reason: LockLostReason): void {
    if (lock.released || !this.held.has(lock)) return; // our own release deleted it
    lock.markLost(reason);
    // the node is gone (or goes with the session): nothing left to wait for locally
    this.held.delete(lock);
    this.returnTurn(lock);
  }

  private dropQueueIfIdle(parentPath: string, queue: LocalFifo): void {
    if (queue.idle && this.queues.get(parentPath) === queue) this.queues.delete(parentPath);
  }
}
