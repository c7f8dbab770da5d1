import { EventEmitter } from 'node:events';
import { withDeadline } from '../core/deadline.js';
import { ConnectionError } from '../errors.js';
import {
  closeGracefully,
  destroyClient,
  type RawAcl,
  type RawClient,
  type RawEvent,
  type RawStat,
  zookeeperModule,
} from './client-module.js';
import { splitReplyFrames } from './frame-splitter.js';
import { createContender, heldRelease, releaseNode } from './fused-release.js';
import { LivenessClock } from './liveness-clock.js';
import { commitMulti, type MultiAnswer, type MultiOp, type MultiOutcome, multiOutcome } from './multi-op.js';
import { credentialsFirstOnReconnect } from './reconnect-order.js';
import { RequestPipeline } from './request-pipeline.js';

export { isZkError } from './request-pipeline.js';

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

interface SessionEvents {
  /** `connected` after (re)connecting, `suspended` when the TCP connection dropped or a heartbeat went unanswered. */
  link: ['connected' | 'suspended'];
  /** Emitted exactly once. */
  ended: [SessionEndReason];
}

/**
 * One ZooKeeper session: one node-zookeeper-client `Client` wrapped in promises (no request waits
 * longer than the session timeout; the requests of one turn leave in one write), plus a
 * {@link LivenessClock}, because a paused server is silent (no `disconnected`, no `expired`,
 * requests never call back): when it runs out the session ends with `session-lost`.
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

  private readonly clock: LivenessClock;
  /** False between the client's DISCONNECTED and its next SYNC_CONNECTED. */
  private linkUp = true;
  private endReason: SessionEndReason | undefined;
  private readonly requests: RequestPipeline;
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
    this.requests = new RequestPipeline(client, displayAddress, this.sessionTimeoutMs, (sentAt) =>
      this.clock.noteAnswered(sentAt),
    );
    this.clock = new LivenessClock(this.sessionTimeoutMs, connectedSentAt, {
      ping: () => this.exists('/'),
      tick: () => this.requests.failOverdue(),
      answered: () => this.emitLink('connected'),
      silent: () => {
        this.emitLink('suspended');
        // node-zookeeper-client has no read timeout: a server that accepted the TCP connection but never
        // answers (still starting after a restart) would hold a RECONNECT forever. Drop that socket so
        // the client tries again (same session id). A connected-but-slow link is left alone.
        if (!this.linkUp) this.client.connectionManager?.socket?.destroy();
      },
      lost: () => void this.end('session-lost'),
    });
    client.on('state', (state) => {
      switch (state.name) {
        case 'DISCONNECTED':
          this.linkUp = false;
          this.emitLink('suspended');
          break;
        case 'SYNC_CONNECTED':
          this.linkUp = true;
          this.emitLink('connected');
          this.clock.beat(); // its reply moves the clock on; the connect response's send time is unknown
          break;
        case 'EXPIRED':
          void this.end('session-expired');
          break;
        case 'AUTH_FAILED':
          void this.end('session-lost');
          break;
      }
    });
    this.clock.start();
  }

  /**
   * Opens a new session. Blocks until the server grants it.
   * @throws ConnectionError when no session is granted within `connectTimeoutMs` (the client,
   *   which would otherwise retry forever in silence, is closed first).
   */
  static async open(options: ZkSessionOptions, generation: number): Promise<ZkSession> {
    const client = zookeeperModule.createClient(options.connectString, {
      sessionTimeout: options.sessionTimeoutMs,
      spinDelay: Math.min(1000, Math.max(50, Math.floor(options.connectTimeoutMs / 5))),
      retries: 0,
    });
    splitReplyFrames(client);
    credentialsFirstOnReconnect(client);
    for (const { scheme, credentials } of options.auth) client.addAuthInfo(scheme, Buffer.from(credentials, 'utf8'));
    const startedAt = performance.now();
    let onState!: (state: { name: string }) => void;
    const connected = new Promise<void>((resolve) => {
      onState = (state) => state.name === 'SYNC_CONNECTED' && resolve();
      client.on('state', onState);
    });
    client.connect();
    try {
      await withDeadline(connected, options.connectTimeoutMs, () => {
        destroyClient(client);
        return new ConnectionError(
          'zookeeper',
          `could not open a ZooKeeper session at ${options.displayAddress} within connectTimeoutMs=${options.connectTimeoutMs}`,
        );
      });
    } finally {
      client.removeListener('state', onState);
    }
    return new ZkSession(client, options.displayAddress, [...options.acl], generation, startedAt);
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
    return this.clock.msUntilPresumedLost();
  }

  /**
   * Creates a znode; resolves with the created path (with its sequence suffix for sequential modes).
   * Sent immediately, so calls made back to back are pipelined in order.
   */
  create(path: string, data: Buffer | null, mode: number): Promise<string> {
    return this.requests.send(
      path,
      (cb) => this.client.create(path, data, this.acl, mode, cb),
      (p: string) => p,
    );
  }

  /** Deletes a released contender node; a create in its parent this turn joins it (fused-release.ts). */
  releaseNode(path: string): Promise<void> {
    return releaseNode(this.requests, this, path);
  }

  /** Creates an ephemeral-sequential contender node; with a held release in its parent, as one multi. */
  createContender(path: string, data: Buffer): Promise<string> {
    return createContender(this.requests, this, path, data);
  }
  /** The released node a `createContender` under `parentPath` sent now would delete in its multi. */
  heldRelease(parentPath: string): string | undefined {
    return heldRelease(this.requests, parentPath);
  }

  /** Deletes a znode (any version). */
  remove(path: string): Promise<void> {
    return this.requests.send(
      path,
      (cb) => this.client.remove(path, -1, cb),
      () => undefined,
    );
  }

  /**
   * Resolves with the node's stat, or `null` when it does not exist; with `watcher`, leaves a watch
   * that fires on the node's creation, change or deletion.
   */
  exists(path: string, watcher?: (event: RawEvent) => void): Promise<RawStat | null> {
    return this.requests.send(
      path,
      (cb) => (watcher ? this.client.exists(path, watcher, cb) : this.client.exists(path, cb)),
      (stat: RawStat | null) => stat,
    );
  }

  /** Reads data and stat; with `watcher`, leaves a data watch (fires on change or delete). */
  getData(path: string, watcher?: (event: RawEvent) => void): Promise<NodeData> {
    return this.requests.send(
      path,
      (cb) => this.client.getData(path, watcher, cb),
      (data: Buffer | null, stat: RawStat) => ({ data, stat }),
    );
  }

  /** Reads a znode's ACL. */
  getAcl(path: string): Promise<RawAcl[]> {
    return this.requests.send(
      path,
      (cb) => this.client.getACL(path, cb),
      (acls: RawAcl[]) => acls,
    );
  }

  /** Lists child names (no watch: the lock recipe never watches children). */
  getChildren(path: string): Promise<string[]> {
    return this.requests.send(
      path,
      (cb) => this.client.getChildren(path, cb),
      (children: string[]) => children,
    );
  }

  /** Creates and deletes as one transaction, one request: all applied or none (see multi-op.ts). */
  multi(ops: readonly MultiOp[]): Promise<MultiOutcome> {
    return this.requests.send(
      ops[0]?.path ?? '/',
      (cb) => commitMulti(this.client, this.acl, ops, cb),
      (...answer: MultiAnswer) => multiOutcome(...answer, ops, this.displayAddress),
    );
  }

  /** Creates `path` and its missing ancestors as persistent nodes (each with the session's ACL). */
  mkdirp(path: string): Promise<void> {
    return this.requests.send(
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
    this.clock.stop();
    const failure = new ConnectionError('zookeeper', `ZooKeeper session 0x${this.sessionId} ended (${reason})`);
    this.requests.failAll(failure);
    for (const onEnded of [...this.endWatchers]) onEnded();
    this.endWatchers.clear();
    this.emit('ended', reason);
    this.client.removeAllListeners('state');
    if (reason === 'closed' && graceMs > 0) await closeGracefully(this.client, graceMs);
    destroyClient(this.client);
  }

  private emitLink(link: 'connected' | 'suspended'): void {
    if (this.endReason === undefined) this.emit('link', link);
  }
}
