import { EventEmitter } from 'node:events';
import { deadlineTimer } from '../../core/deadline.js';
import { decodeKeyFromZnodeName } from '../../core/key.js';
import { ConnectionError } from '../../errors.js';
import { type RawClient, type RawStat, zookeeperModule } from '../../zookeeper/client-module.js';
import type { ZooKeeperAuth } from '../../zookeeper/connection-options.js';
import { decodeHolderInfo, type HolderInfo } from '../../zookeeper/holder-info.js';
import { sortLockNames } from '../../zookeeper/lock-node-name.js';
import { timeoutLimits } from '../connection-options.js';

/** One change in a key's lock queue. */
export type LockChange =
  | { type: 'acquired'; key: string; node: string; holder: HolderInfo | undefined; waitedMs: number }
  | { type: 'waiting'; key: string; node: string; holder: HolderInfo | undefined; position: number }
  | { type: 'released'; key: string; node: string; holder: HolderInfo | undefined; heldMs: number }
  | { type: 'gave-up'; key: string; node: string; holder: HolderInfo | undefined; waitedMs: number };

interface Contender {
  name: string;
  sequence: number;
  holder: HolderInfo | undefined;
  createdAtMs: number;
  /** When we saw it become the lowest (holder); undefined while it waits. */
  heldSinceMs: number | undefined;
}

/**
 * Follows every key's lock queue under `root` with ZooKeeper child watches (one on the root, one
 * per key parent), never by polling: each watch fires once, the handler re-reads and re-arms it.
 * Emits `change` for each acquire, wait, release and give-up, `error` when the session ends.
 */
export class LockTreeWatcher extends EventEmitter<{ change: [LockChange]; error: [Error] }> {
  readonly #client: RawClient;
  readonly #root: string;
  readonly #prefix: string;
  readonly #queues = new Map<string, Map<string, Contender>>();
  readonly #pending = new Map<string, Promise<void>>();
  #closed = false;

  private constructor(client: RawClient, root: string, prefix: string) {
    super();
    this.#client = client;
    this.#root = root;
    this.#prefix = prefix;
  }

  /**
   * Opens a session (bounded by `connectTimeoutMs`) and reads the current queues; changes after
   * that are emitted. The initial state is returned so the caller can show it.
   * @throws ConnectionError when no session is granted in time.
   */
  static async start(
    connectString: string,
    root: string,
    prefix: string,
    connectTimeoutMs: number,
    auth: readonly ZooKeeperAuth[] = [],
  ): Promise<{ watcher: LockTreeWatcher; initial: LockChange[] }> {
    const client = zookeeperModule.createClient(connectString, {
      sessionTimeout: timeoutLimits(connectTimeoutMs).sessionTimeoutMs,
      retries: 0,
    });
    for (const { scheme, credentials } of auth) client.addAuthInfo(scheme, Buffer.from(credentials, 'utf8'));
    await new Promise<void>((resolve, reject) => {
      // --timeout-ms may be past a timer's reach: deadlineTimer then arms none
      const timer = deadlineTimer(connectTimeoutMs, () => {
        client.removeAllListeners('state');
        client.close();
        client.connectionManager?.socket?.destroy();
        reject(
          new ConnectionError(
            'zookeeper',
            `could not open a ZooKeeper session at ${connectString} within --timeout-ms=${connectTimeoutMs}`,
          ),
        );
      });
      client.on('state', (state) => {
        if (state.name === 'SYNC_CONNECTED') {
          clearTimeout(timer);
          resolve();
        }
      });
      client.connect();
    });
    const watcher = new LockTreeWatcher(client, root, prefix);
    client.on('state', (state) => {
      if (state.name === 'EXPIRED' || state.name === 'AUTH_FAILED')
        watcher.emit(
          'error',
          new ConnectionError('zookeeper', `ZooKeeper session at ${connectString} ended: ${state.name}`),
        );
    });
    const initial: LockChange[] = [];
    watcher.on('change', (c) => initial.push(c));
    await watcher.#watchRoot();
    watcher.removeAllListeners('change');
    return { watcher, initial };
  }

  /** Stops watching and ends the session. Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#client.removeAllListeners('state');
    this.#client.close();
  }

  async #watchRoot(): Promise<void> {
    if (this.#closed) return;
    const children = await this.#children(
      this.#root,
      () => void this.#watchRoot().catch((e: Error) => this.emit('error', e)),
    );
    if (children === undefined) {
      // No lock taken yet in this namespace: wait for the root to appear.
      const exists = await this.#exists(
        this.#root,
        () => void this.#watchRoot().catch((e: Error) => this.emit('error', e)),
      );
      if (exists) await this.#watchRoot();
      return;
    }
    const fresh: Promise<void>[] = [];
    for (const name of children) {
      if (this.#queues.has(name)) continue;
      let key: string;
      try {
        key = decodeKeyFromZnodeName(name);
      } catch {
        continue; // not a key parent this library created
      }
      if (!key.startsWith(this.#prefix)) continue;
      this.#queues.set(name, new Map());
      fresh.push(this.#watchKey(name, key));
    }
    await Promise.all(fresh);
  }

  // Watch callbacks and the first read may overlap; one re-read at a time per key keeps the diff exact.
  #watchKey(name: string, key: string): Promise<void> {
    const next = (this.#pending.get(name) ?? Promise.resolve()).then(() => this.#rereadKey(name, key));
    this.#pending.set(
      name,
      next.catch(() => undefined),
    );
    return next;
  }

  async #rereadKey(name: string, key: string): Promise<void> {
    if (this.#closed) return;
    const queue = this.#queues.get(name);
    if (!queue) return;
    const parent = `${this.#root}/${name}`;
    const children = await this.#children(
      parent,
      () => void this.#watchKey(name, key).catch((e: Error) => this.emit('error', e)),
    );
    const now = Date.now();
    const present = new Set(children ?? []);
    for (const [nodeName, c] of queue) {
      if (present.has(nodeName)) continue;
      queue.delete(nodeName);
      if (c.heldSinceMs !== undefined)
        this.emit('change', { type: 'released', key, node: nodeName, holder: c.holder, heldMs: now - c.heldSinceMs });
      else
        this.emit('change', { type: 'gave-up', key, node: nodeName, holder: c.holder, waitedMs: now - c.createdAtMs });
    }
    const added = sortLockNames([...present].filter((n) => !queue.has(n)));
    await Promise.all(
      added.map(async ({ name: nodeName, sequence }) => {
        const data = await this.#data(`${parent}/${nodeName}`);
        if (data)
          queue.set(nodeName, {
            name: nodeName,
            sequence,
            holder: decodeHolderInfo(data.data),
            createdAtMs: Number(Buffer.from(data.stat.ctime).readBigInt64BE(0)),
            heldSinceMs: undefined,
          });
      }),
    );
    const ordered = [...queue.values()].sort((a, b) => a.sequence - b.sequence);
    const holder = ordered[0];
    if (holder && holder.heldSinceMs === undefined) {
      holder.heldSinceMs = now;
      this.emit('change', {
        type: 'acquired',
        key,
        node: holder.name,
        holder: holder.holder,
        waitedMs: Math.max(0, now - holder.createdAtMs),
      });
    }
    const addedNames = new Set(added.map((a) => a.name));
    ordered.forEach((c, position) => {
      if (position > 0 && addedNames.has(c.name))
        this.emit('change', { type: 'waiting', key, node: c.name, holder: c.holder, position });
    });
    if (children === undefined) {
      // The key's parent is gone (deleted when its queue emptied): the root watch brings it back if reused.
      this.#queues.delete(name);
    }
  }

  #children(path: string, onChange: () => void): Promise<string[] | undefined> {
    return new Promise((resolve, reject) => {
      const raw = this.#client as unknown as {
        getChildren(
          path: string,
          watcher: () => void,
          cb: (error: { name?: string } | null, children: string[]) => void,
        ): void;
      };
      raw.getChildren(
        path,
        () => onChange(),
        (error, children) => {
          if (error?.name === 'NO_NODE') resolve(undefined);
          else if (error) reject(new Error(`zookeeper getChildren ${path}: ${error.name ?? String(error)}`));
          else resolve(children);
        },
      );
    });
  }

  #exists(path: string, onChange: () => void): Promise<boolean> {
    return new Promise((resolve, reject) => {
      const raw = this.#client as unknown as {
        exists(
          path: string,
          watcher: () => void,
          cb: (error: { name?: string } | null, stat: RawStat | null) => void,
        ): void;
      };
      raw.exists(
        path,
        () => onChange(),
        (error, stat) => {
          if (error) reject(new Error(`zookeeper exists ${path}: ${error.name ?? String(error)}`));
          else resolve(stat !== null && stat !== undefined);
        },
      );
    });
  }

  #data(path: string): Promise<{ data: Buffer | null; stat: RawStat } | undefined> {
    return new Promise((resolve, reject) => {
      this.#client.getData(path, undefined, (error, data, stat) => {
        if (error?.name === 'NO_NODE') resolve(undefined);
        else if (error) reject(new Error(`zookeeper getData ${path}: ${error.name}`));
        else resolve({ data, stat });
      });
    });
  }
}
