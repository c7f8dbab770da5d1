import { createRequire } from 'node:module';
import { settlesWithin } from '../core/deadline.js';

/**
 * The slice of node-zookeeper-client 1.1.3 this library uses, typed by hand (the package ships no
 * types). Loaded through `createRequire` so no ambient module declaration leaks into our `.d.ts`.
 */

/** A ZooKeeper `Stat`; `long` fields arrive as 8-byte big-endian Buffers. */
export interface RawStat {
  czxid: Buffer;
  mzxid: Buffer;
  ctime: Buffer;
  mtime: Buffer;
  version: number;
  cversion: number;
  aversion: number;
  ephemeralOwner: Buffer;
  dataLength: number;
  numChildren: number;
  pzxid: Buffer;
}

/** The library's `Exception`: `code` is the numeric ZooKeeper error, `name` e.g. `NO_NODE`. */
export interface RawException extends Error {
  code: number;
  name: string;
  path?: string;
}

/** A watch notification. */
export interface RawEvent {
  type: number;
  name: string;
  path: string;
  getType(): number;
}

/** The library's connection state object (`client.getState()`). */
export interface RawState {
  name: string;
  code: number;
}

/** The library's `ACL` object: a permission bit mask granted to one `Id`. */
export interface RawAcl {
  permission: number;
  id: { scheme: string; id: string };
}

type Cb<T extends unknown[]> = (error: RawException | null, ...results: T) => void;

/** One node-zookeeper-client `Client`: one TCP connection, one session. */
export interface RawClient {
  connect(): void;
  close(): void;
  on(event: 'state', listener: (state: RawState) => void): this;
  removeListener(event: 'state', listener: (state: RawState) => void): this;
  removeAllListeners(event: 'state'): this;
  getSessionId(): Buffer;
  getSessionPassword(): Buffer;
  getSessionTimeout(): number;
  addAuthInfo(scheme: string, auth: Buffer): void;
  create(path: string, data: Buffer | null, mode: number, callback: Cb<[path: string]>): void;
  create(path: string, data: Buffer | null, acls: RawAcl[], mode: number, callback: Cb<[path: string]>): void;
  remove(path: string, version: number, callback: Cb<[]>): void;
  exists(path: string, callback: Cb<[stat: RawStat | null]>): void;
  exists(path: string, watcher: (event: RawEvent) => void, callback: Cb<[stat: RawStat | null]>): void;
  getData(
    path: string,
    watcher: ((event: RawEvent) => void) | undefined,
    callback: Cb<[data: Buffer | null, stat: RawStat]>,
  ): void;
  getChildren(path: string, callback: Cb<[children: string[], stat: RawStat]>): void;
  mkdirp(path: string, callback: Cb<[path: string]>): void;
  mkdirp(path: string, acls: RawAcl[], callback: Cb<[path: string]>): void;
  getACL(path: string, callback: Cb<[acls: RawAcl[], stat: RawStat]>): void;
  transaction(): RawTransaction;
  /**
   * Internal: the current socket, used to drop one that a silent server keeps open and to coalesce
   * a turn's requests into one write (see ZkSession).
   */
  connectionManager?: { socket?: { destroy(): void; cork(): void; uncork(): void; readonly destroyed: boolean } };
}

/** A multi request being built; `commit` sends it as one request (all ops or none). */
export interface RawTransaction {
  create(path: string, data: Buffer | null, acls: RawAcl[], mode: number): RawTransaction;
  remove(path: string, version: number): RawTransaction;
  /** On a refused op: the first failing op's error, and every op's result (`err` 0 for those that would pass). */
  commit(callback: (error: RawException | null, results?: { path?: string; err?: number }[]) => void): void;
}

/** What `require('node-zookeeper-client')` exports, as far as we use it. */
export interface ZooKeeperModule {
  createClient(
    connectString: string,
    options: { sessionTimeout: number; spinDelay?: number; retries?: number },
  ): RawClient;
  CreateMode: { PERSISTENT: number; EPHEMERAL: number; PERSISTENT_SEQUENTIAL: number; EPHEMERAL_SEQUENTIAL: number };
  Exception: Record<string, number>;
  ACL: new (permission: number, id: RawAcl['id']) => RawAcl;
  Id: new (scheme: string, id: string) => RawAcl['id'];
  Permission: { READ: number; WRITE: number; CREATE: number; DELETE: number; ADMIN: number; ALL: number };
}

/** The loaded node-zookeeper-client module. */
export const zookeeperModule = createRequire(import.meta.url)('node-zookeeper-client') as ZooKeeperModule;

/** Numeric codes of the ZooKeeper errors we branch on. */
export const ZK_CODES = {
  CONNECTION_LOSS: -4,
  NO_NODE: -101,
  NO_AUTH: -102,
  NODE_EXISTS: -110,
  NOT_EMPTY: -111,
  SESSION_EXPIRED: -112,
  AUTH_FAILED: -115,
} as const;

/** Closes a client and drops its socket, so a silent (paused) server cannot keep it retrying. */
export function destroyClient(client: RawClient): void {
  try {
    client.close();
  } catch {
    // close() only queues a packet; a client that never connected may throw on a missing socket
  }
  client.connectionManager?.socket?.destroy();
}

/** Sends the close request and waits up to `graceMs` for the server's answer (its ephemeral nodes go at once). */
export async function closeGracefully(client: RawClient, graceMs: number): Promise<void> {
  // node-zookeeper-client reports the close reply as the socket closing; wait for that or the grace.
  const closed = new Promise<void>((resolve) =>
    client.on('state', (state) => state.name === 'DISCONNECTED' && resolve()),
  );
  client.close();
  await settlesWithin(closed, graceMs);
}
