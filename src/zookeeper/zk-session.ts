import { EventEmitter } from 'node:events';
import { ConnectionError, ZooKeeperError } from '../errors.js';
import {
  type RawAcl,
  type RawClient,
  type RawEvent,
  type RawException,
  type RawStat,
  ZK_CODES,
  zookeeperModule,
} from './client-module.js';

/** Why a session ended: the server expired it, we presumed it lost (silent server), or it was closed. */
export type SessionEndReason = 'session-expired' | 'session-lost' | 'closed';

/** What opening a session needs (already validated by ZooKeeperConnection). */
export interface ZkSessionOptions {
  connectString: string;
  /** Shown in errors instead of `connectString` (credentials never appear in messages). */
  displayAddress: string;
  sessionTimeoutMs: number;
  connectTimeoutMs: number;
  auth: readonly { scheme: string; credentials: string }[];
  /** ACL of every znode this session creates. */
  acl: readonly RawAcl[];
}

/** A znode's data and the parts of its stat we use. */
export interface NodeData {
  data: Buffer | null;
  stat: RawStat;
}

/** A request on the wire: what the overdue sweep and `end()` need to fail it. */
interface PendingRequest {
  readonly path: string;
  readonly sentAt: number;
  readonly reject: (error: Error) => void;
}

interface SessionEvents {
  /** `connected` after (re)connecting, `suspended` when the TCP connection dropped or a heartbeat went unanswered. */
  link: ['connected' | 'suspended'];
  /** Emitted exactly once. */
  ended: [SessionEndReason];
}

/**
 * One ZooKeeper session: one node-zookeeper-client `Client` wrapped in promises (no request waits
 * longer than the session timeout; the requests of one turn leave in one write), plus our own
 * liveness clock because a paused server is silent (no `disconnected`, no `expired`, requests
 * never call back).
 *
 * The clock: a heartbeat (`exists('/')`) goes out every `sessionTimeoutMs / 3`. Every reply the
 * server sends (success or a ZooKeeper error code) proves the server heard us no earlier than the
 * moment that request was SENT, so the session cannot have expired before
 * `lastAnsweredSentAt + sessionTimeoutMs`. When that instant passes without a newer reply, the
 * session is declared lost (`ended: 'session-lost'`): never later than the server could expire it.
 * A heartbeat unanswered for `sessionTimeoutMs / 3` marks the link `suspended`; during a reconnect it
 * also drops the socket, so the client retries instead of waiting forever on a server that accepted
 * TCP but never answered the connect request (seen right after a ZooKeeper restart).
 */
export class ZkSession extends EventEmitter<SessionEvents> {
  /** Negotiated session timeout (the server may clamp what we asked for). */
  readonly sessionTimeoutMs: number;
  /** Session id as 16 hex digits. */
  readonly sessionId: string;
  /** Monotonic id of this session within its connection (1, 2, …). */
  readonly generation: number;

  private lastAnsweredSentAt: number;
  private heartbeatInFlight = false;
  /** False between the client's DISCONNECTED and its next SYNC_CONNECTED. */
  private linkUp = true;
  private heartbeatTimer: NodeJS.Timeout | undefined;
  private lostTimer: NodeJS.Timeout | undefined;
  private endReason: SessionEndReason | undefined;
  /** Requests sent and not yet answered, in send order. */
  private readonly pending = new Set<PendingRequest>();
  /** True while the socket is corked for the current turn (see {@link coalesceWrites}). */
  private corked = false;
  private readonly endWatchers = new Set<() => void>();

  private constructor(
    private readonly client: RawClient,
    private readonly displayAddress: string,
    private readonly acl: RawAcl[],
    generation: number,
    connectedSentAt: number,
  ) {
    super();
    this.generation = generation;
    this.sessionTimeoutMs = client.getSessionTimeout();
    this.sessionId = client.getSessionId().toString('hex');
    this.lastAnsweredSentAt = connectedSentAt;
    client.on('state', (state) => {
      switch (state.name) {
        case 'DISCONNECTED':
          this.linkUp = false;
          this.emitLink('suspended');
          break;
        case 'SYNC_CONNECTED':
          this.linkUp = true;
          this.emitLink('connected');
          this.heartbeat(); // its reply moves the clock on; the connect response's send time is unknown
          break;
        case 'EXPIRED':
          void this.end('session-expired');
          break;
        case 'AUTH_FAILED':
          void this.end('session-lost');
          break;
      }
    });
    this.heartbeatTimer = setInterval(
      () => {
        this.failOverdueRequests();
        this.heartbeat();
      },
      Math.max(1, Math.floor(this.sessionTimeoutMs / 3)),
    );
    this.heartbeatTimer.unref();
    this.armLostTimer();
  }

  /**
   * Opens a new session. Blocks until the server grants it.
   * @throws ConnectionError when no session is granted within `connectTimeoutMs` (the client,
   *   which would otherwise retry forever in silence, is closed first).
   */
  static open(options: ZkSessionOptions, generation: number): Promise<ZkSession> {
    return new Promise((resolve, reject) => {
      const client = zookeeperModule.createClient(options.connectString, {
        sessionTimeout: options.sessionTimeoutMs,
        spinDelay: Math.min(1000, Math.max(50, Math.floor(options.connectTimeoutMs / 5))),
        retries: 0,
      });
      for (const { scheme, credentials } of options.auth) client.addAuthInfo(scheme, Buffer.from(credentials, 'utf8'));
      const startedAt = performance.now();
      const timer = setTimeout(() => {
        client.removeListener('state', onState);
        destroyClient(client);
        reject(
          new ConnectionError(
            'zookeeper',
            `could not open a ZooKeeper session at ${options.displayAddress} within connectTimeoutMs=${options.connectTimeoutMs}`,
          ),
        );
      }, options.connectTimeoutMs);
      const onState = (state: { name: string }): void => {
        if (state.name !== 'SYNC_CONNECTED') return;
        clearTimeout(timer);
        client.removeListener('state', onState);
        resolve(new ZkSession(client, options.displayAddress, [...options.acl], generation, startedAt));
      };
      client.on('state', onState);
      client.connect();
    });
  }

  /** Why the session ended, or `undefined` while it lives. */
  get ended(): SessionEndReason | undefined {
    return this.endReason;
  }

  /**
   * Calls `onEnded` once when the session ends (at once if it already has) and returns a function
   * that cancels the call. Cheap to add and remove per request, unlike a listener on a shared
   * long-lived promise, whose reactions stay reachable until the session ends.
   */
  whenEnded(onEnded: () => void): () => void {
    if (this.endReason !== undefined) {
      onEnded();
      return () => undefined;
    }
    this.endWatchers.add(onEnded);
    return () => this.endWatchers.delete(onEnded);
  }

  /** Session id and password, for tooling that needs to act on this exact session (e.g. forcing expiry in tests). */
  credentials(): { sessionId: Buffer; password: Buffer } {
    return { sessionId: this.client.getSessionId(), password: this.client.getSessionPassword() };
  }

  /** Milliseconds until this session would be declared lost if no further reply arrived. */
  msUntilPresumedLost(): number {
    return this.lastAnsweredSentAt + this.sessionTimeoutMs - performance.now();
  }

  /**
   * Creates a znode; resolves with the created path (with its sequence suffix for sequential modes).
   * Sent immediately, so calls made back to back are pipelined in order.
   */
  create(path: string, data: Buffer | null, mode: number): Promise<string> {
    return this.request(
      path,
      (cb) => this.client.create(path, data, this.acl, mode, cb),
      (p: string) => p,
    );
  }

  /** Deletes a znode (any version). */
  remove(path: string): Promise<void> {
    return this.request(
      path,
      (cb) => this.client.remove(path, -1, cb),
      () => undefined,
    );
  }

  /** Resolves with the node's stat, or `null` when it does not exist. */
  exists(path: string): Promise<RawStat | null> {
    return this.request(
      path,
      (cb) => this.client.exists(path, cb),
      (stat: RawStat | null) => stat,
    );
  }

  /** Reads data and stat; with `watcher`, leaves a data watch (fires on change or delete). */
  getData(path: string, watcher?: (event: RawEvent) => void): Promise<NodeData> {
    return this.request(
      path,
      (cb) => this.client.getData(path, watcher, cb),
      (data: Buffer | null, stat: RawStat) => ({ data, stat }),
    );
  }

  /** Reads a znode's ACL. */
  getAcl(path: string): Promise<RawAcl[]> {
    return this.request(
      path,
      (cb) => this.client.getACL(path, cb),
      (acls: RawAcl[]) => acls,
    );
  }

  /** Lists child names (no watch: the lock recipe never watches children). */
  getChildren(path: string): Promise<string[]> {
    return this.request(
      path,
      (cb) => this.client.getChildren(path, cb),
      (children: string[]) => children,
    );
  }

  /** Creates `path` and its missing ancestors as persistent nodes (each with the session's ACL). */
  mkdirp(path: string): Promise<void> {
    return this.request(
      path,
      (cb) => this.client.mkdirp(path, this.acl, cb),
      () => undefined,
    );
  }

  /**
   * Ends the session and drops the connection; idempotent. With `closed`, a close request is
   * sent first and given up to `graceMs` to reach the server, so its ephemeral nodes go at once.
   */
  async end(reason: SessionEndReason, graceMs = 0): Promise<void> {
    if (this.endReason !== undefined) return;
    this.endReason = reason;
    clearInterval(this.heartbeatTimer);
    clearTimeout(this.lostTimer);
    const failure = new ConnectionError('zookeeper', `ZooKeeper session 0x${this.sessionId} ended (${reason})`);
    for (const request of [...this.pending]) request.reject(failure);
    this.pending.clear();
    for (const onEnded of [...this.endWatchers]) onEnded();
    this.endWatchers.clear();
    this.emit('ended', reason);
    this.client.removeAllListeners('state');
    if (reason === 'closed' && graceMs > 0) await this.closeGracefully(graceMs);
    destroyClient(this.client);
  }

  private closeGracefully(graceMs: number): Promise<void> {
    // node-zookeeper-client reports the close reply as the socket closing; wait for that or the grace.
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, graceMs);
      this.client.on('state', (state) => {
        if (state.name !== 'DISCONNECTED') return;
        clearTimeout(timer);
        resolve();
      });
      this.client.close();
    });
  }

  private emitLink(link: 'connected' | 'suspended'): void {
    if (this.endReason === undefined) this.emit('link', link);
  }

  private heartbeat(): void {
    if (this.heartbeatInFlight || this.endReason !== undefined) return;
    this.heartbeatInFlight = true;
    const deadline = setTimeout(
      () => {
        this.emitLink('suspended');
        // node-zookeeper-client has no read timeout: a server that accepted the TCP connection but never
        // answers (still starting after a restart) would hold a RECONNECT forever. Drop that socket so
        // the client tries again (same session id). A connected-but-slow link is left alone.
        if (!this.linkUp) this.client.connectionManager?.socket?.destroy();
      },
      Math.max(1, Math.floor(this.sessionTimeoutMs / 3)),
    );
    this.exists('/')
      .then(
        () => this.emitLink('connected'),
        () => undefined, // a missed heartbeat only matters through the clock
      )
      .finally(() => {
        clearTimeout(deadline);
        this.heartbeatInFlight = false;
      });
  }

  private armLostTimer(): void {
    clearTimeout(this.lostTimer);
    const remainingMs = this.msUntilPresumedLost();
    if (remainingMs <= 0) {
      void this.end('session-lost');
      return;
    }
    this.lostTimer = setTimeout(() => this.armLostTimer(), Math.ceil(remainingMs));
    this.lostTimer.unref();
  }

  private request<A extends unknown[], R>(
    path: string,
    send: (cb: (error: RawException | null, ...results: A) => void) => void,
    shape: (...results: A) => R,
  ): Promise<R> {
    if (this.endReason !== undefined) {
      return Promise.reject(
        new ConnectionError('zookeeper', `ZooKeeper session 0x${this.sessionId} ended (${this.endReason})`),
      );
    }
    return new Promise<R>((resolve, reject) => {
      const request: PendingRequest = { path, sentAt: performance.now(), reject };
      this.pending.add(request);
      this.coalesceWrites();
      send((error, ...results) => {
        if (error === null || (error.code !== ZK_CODES.CONNECTION_LOSS && error.code !== ZK_CODES.SESSION_EXPIRED)) {
          this.noteAnswered(request.sentAt);
        }
        if (!this.pending.delete(request)) return; // already failed: overdue, or the session ended
        if (error) reject(toTypedError(error, path, this.displayAddress));
        else resolve(shape(...results));
      });
    });
  }

  /**
   * Fails requests unanswered for longer than the session timeout. A backstop: ZooKeeper answers a
   * session's requests in order, so a request that old means nothing sent after it was answered
   * either, and the liveness clock has already ended the session. Run from the heartbeat, not with
   * a timer per request (a timer per request was a measurable share of a lock cycle's cost).
   */
  private failOverdueRequests(): void {
    const now = performance.now();
    for (const request of this.pending) {
      if (now - request.sentAt < this.sessionTimeoutMs) break; // in send order: the rest are younger
      this.pending.delete(request);
      request.reject(
        new ConnectionError(
          'zookeeper',
          `ZooKeeper at ${this.displayAddress} did not answer a request on ${request.path} within ${this.sessionTimeoutMs} ms (the session timeout)`,
        ),
      );
    }
  }

  /**
   * node-zookeeper-client writes each request with its own socket write (one syscall, and one
   * wake-up of the server, each). The Java client sends what queued up since its last selector
   * pass in one go; we do the same: cork the socket for the rest of this turn, so every request
   * made before the event loop moves on (64 lock contenders woken by one batch of replies, or
   * create + getChildren back to back) leaves in one writev. Nothing waits on a timer.
   */
  private coalesceWrites(): void {
    if (this.corked) return;
    const socket = this.client.connectionManager?.socket;
    if (!socket || socket.destroyed) return;
    this.corked = true;
    socket.cork();
    process.nextTick(() => {
      this.corked = false;
      socket.uncork();
    });
  }

  private noteAnswered(sentAt: number): void {
    if (sentAt > this.lastAnsweredSentAt) this.lastAnsweredSentAt = sentAt;
  }
}

function toTypedError(error: RawException, path: string, address: string): Error {
  if (error.code === ZK_CODES.CONNECTION_LOSS) {
    return new ConnectionError('zookeeper', `connection to ZooKeeper at ${address} lost during a request on ${path}`, {
      cause: error,
    });
  }
  if (error.code === ZK_CODES.NO_AUTH) {
    return new ZooKeeperError(
      error.name,
      `ZooKeeper refused the request on ${path} (NO_AUTH): this session lacks the credential the znode's ACL requires (set zookeeper.auth to a credential the ACL grants)`,
      { cause: error, path },
    );
  }
  return new ZooKeeperError(error.name, `ZooKeeper answered ${error.name} for ${path}`, { cause: error, path });
}

/** Closes a client and drops its socket, so a silent (paused) server cannot keep it retrying. */
function destroyClient(client: RawClient): void {
  try {
    client.close();
  } catch {
    // close() only queues a packet; a client that never connected may throw on a missing socket
  }
  client.connectionManager?.socket?.destroy();
}

/** True when `error` is a ZooKeeper reply with the given code name (e.g. `NO_NODE`). */
export function isZkError(error: unknown, zkCode: keyof typeof ZK_CODES): error is ZooKeeperError {
  return error instanceof ZooKeeperError && error.zkCode === zkCode;
}
