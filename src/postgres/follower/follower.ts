import pg from 'pg';
import { sleep } from '../../core/deadline.js';
import { SlotInUseError } from '../../errors.js';
import { LockManager } from '../../zookeeper/lock-manager.js';
import type { FollowerCache } from './follower-cache.js';
import { FollowerEventEmitter } from './follower-events.js';
import { type FollowerOptions, parseFollowerOptions, type ResolvedFollowerOptions } from './follower-options.js';
import { checkDatabase, ensurePublication, ensureSlot, slotHolder } from './preflight.js';
import { streamSlot } from './stream-session.js';

/** A running follower: see {@link startFollower}. */
export interface Follower extends AsyncDisposable {
  readonly events: FollowerEventEmitter;
  /** The replication slot it follows. */
  readonly slot: string;
  /** True while this follower is the elected one and streams the slot. */
  readonly active: boolean;
  /** Row changes applied (and confirmed) by this follower so far. */
  readonly changesApplied: number;
  /**
   * Stops: the active follower finishes the batch in flight (up to `timeoutMs`), confirms it and
   * stops streaming; the election node is released so a standby takes over. Idempotent.
   */
  close(options?: { timeoutMs?: number }): Promise<void>;
}

const MAX_RECONNECT_DELAY_MS = 5_000;

/**
 * Follows PostgreSQL's change stream (logical replication, pgoutput) so that every committed
 * INSERT, UPDATE and DELETE of a mapped table reaches the cache as an ordered write: a tombstone
 * at the row's version (or, with a `value` mapping, the new row) through the same per-key lock and
 * compare script as every other write. Run one per host: exactly one is active, elected through the
 * cache's ZooKeeper connection (an ephemeral-sequential lock on `/zkoc/<namespace>/followers`,
 * held for as long as it leads). A batch's LSN is confirmed only after Redis accepted all of it, so
 * a crash loses nothing: the next active follower resumes from the confirmed LSN and the versions
 * make the replay harmless.
 *
 * Resolves once the database is checked and the slot and publication exist (the election runs in
 * the background: watch `active`). Close it before closing the cache.
 * @throws InvalidOptionsError, WalLevelError, ReplicationPrivilegeError, FollowerTableError,
 *   SlotInUseError (the slot streams to a consumer that is not a zkoc follower of this namespace).
 */
export async function startFollower(options: FollowerOptions & { cache: FollowerCache }): Promise<Follower> {
  const cache = options.cache;
  if (cache === null || typeof cache !== 'object' || typeof cache.invalidateMany !== 'function')
    throw new TypeError('options.cache must be an OrderedCache');
  const resolved = parseFollowerOptions(options, cache.namespace);
  const admin = new pg.Pool({ ...(resolved.database as pg.PoolConfig), max: 2 });
  admin.on('error', () => {}); // an idle connection dropped by a restart: the next query reconnects
  try {
    await checkDatabase(admin, resolved.tables);
    await ensurePublication(admin, resolved.publication, resolved.tables);
    await ensureSlot(admin, resolved.slot);
    const holder = await slotHolder(admin, resolved.slot);
    if (holder && holder.applicationName !== applicationNameOf(cache.namespace))
      throw new SlotInUseError(resolved.slot, holder.pid, `application_name ${JSON.stringify(holder.applicationName)}`);
  } catch (error) {
    await admin.end().catch(() => undefined);
    throw error;
  }
  return new RunningFollower(resolved, cache, admin);
}

class RunningFollower implements Follower {
  readonly events = new FollowerEventEmitter();
  readonly #options: ResolvedFollowerOptions;
  readonly #cache: FollowerCache;
  readonly #admin: pg.Pool;
  readonly #election: LockManager;
  readonly #stopping = new AbortController();
  readonly #hardStop = new AbortController();
  readonly #counters = { changes: 0 };
  readonly #loop: Promise<void>;
  #active = false;
  #closing: Promise<void> | undefined;

  constructor(options: ResolvedFollowerOptions, cache: FollowerCache, admin: pg.Pool) {
    this.#options = options;
    this.#cache = cache;
    this.#admin = admin;
    this.#election = new LockManager(cache.zookeeper, {
      root: `/zkoc/${cache.namespace}/followers`,
      label: options.label,
      timeoutMs: Number.POSITIVE_INFINITY,
      parentLingerMs: 0,
    });
    this.#loop = this.#lead();
  }

  get slot(): string {
    return this.#options.slot;
  }

  get active(): boolean {
    return this.#active;
  }

  get changesApplied(): number {
    return this.#counters.changes;
  }

  close(options: { timeoutMs?: number } = {}): Promise<void> {
    this.#closing ??= (async () => {
      this.#stopping.abort();
      const timer = setTimeout(() => this.#hardStop.abort(), options.timeoutMs ?? 10_000);
      try {
        await this.#loop;
      } finally {
        clearTimeout(timer);
        await this.#election.settled().catch(() => undefined);
        await this.#admin.end().catch(() => undefined);
      }
    })();
    return this.#closing;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  // Contend, lead until the election node is lost or we close, then contend again.
  async #lead(): Promise<void> {
    const closing = AbortSignal.any([this.#stopping.signal, this.#hardStop.signal]);
    const applicationName = applicationNameOf(this.#cache.namespace);
    let failures = 0;
    while (!closing.aborted) {
      let lock: Awaited<ReturnType<LockManager['acquire']>>;
      try {
        lock = await this.#election.acquire(this.#options.slot, { signal: closing });
      } catch (error) {
        if (closing.aborted) return;
        this.events.emit('error', { kind: 'stream', error });
        await sleep(backoff(++failures), closing).catch(() => undefined);
        continue;
      }
      this.#active = true;
      this.events.emit('active', { slot: this.#options.slot, sessionId: lock.sessionId });
      const lost = AbortSignal.any([lock.signal, this.#hardStop.signal]);
      let reason: 'lock-lost' | 'closed' = 'closed';
      let streamError: unknown;
      try {
        while (!lost.aborted && !this.#stopping.signal.aborted) {
          try {
            await streamSlot(
              {
                options: this.#options,
                admin: this.#admin,
                cache: this.#cache,
                events: this.events,
                applicationName,
                counters: this.#counters,
              },
              this.#stopping.signal,
              lost,
            );
            failures = 0;
          } catch (error) {
            streamError = error;
            this.events.emit('error', { kind: 'stream', error });
            await sleep(backoff(++failures), AbortSignal.any([lost, closing])).catch(() => undefined);
          }
        }
        if (lock.signal.aborted) reason = 'lock-lost';
      } finally {
        this.#active = false;
        await lock.release().catch(() => undefined);
        this.events.emit('inactive', {
          slot: this.#options.slot,
          reason,
          ...(streamError ? { error: streamError } : {}),
        });
      }
    }
  }
}

/** Every follower of a namespace streams under this name: a walsender with it is a stale one of ours. */
function applicationNameOf(namespace: string): string {
  return `zkoc-follower:${namespace}`.slice(0, 63); // PostgreSQL keeps 63 bytes (ASCII here)
}

function backoff(failures: number): number {
  return Math.min(MAX_RECONNECT_DELAY_MS, 100 * 2 ** Math.min(failures - 1, 10));
}
