import { EventEmitter } from 'node:events';
import { settlesWithin, sleep } from '../core/deadline.js';
import { maskCredential } from '../core/redact.js';
import { ClosedError, ConnectionError } from '../errors.js';
import { zookeeperHosts } from './connect-string.js';
import {
  type ParsedConnectionOptions,
  parseConnectionOptions,
  type ZooKeeperConnectionOptions,
} from './connection-options.js';
import { assertSomeServerReachable } from './reachability.js';
import { type SessionEndReason, ZkSession } from './zk-session.js';

/**
 * `connected`: the session is live and the server answers. `suspended`: the TCP connection dropped or
 * a heartbeat went unanswered; the session may still be alive. `lost`: the session expired or was
 * presumed lost; a replacement session is being opened. `closed`: `close()` was called.
 */
export type ConnectionState = 'connected' | 'suspended' | 'lost' | 'closed';

/** Events of {@link ZooKeeperConnection}. */
export interface ZooKeeperConnectionEvents {
  /** Every state change. */
  state: [state: ConnectionState, previous: ConnectionState];
  /** A session ended; everything that relied on it (ephemeral nodes, watches) is gone or going. */
  'session-ended': [session: ZkSession, reason: SessionEndReason];
}

/**
 * A ZooKeeper connection that survives its sessions: when a session expires or is presumed lost
 * (see {@link ZkSession} for the exact rule), it reports `lost`, emits `session-ended`, and opens a
 * new session in the background, retrying until it succeeds or `close()` is called.
 */
export class ZooKeeperConnection extends EventEmitter<ZooKeeperConnectionEvents> {
  private current: ZkSession | undefined;
  private currentState: ConnectionState = 'connected';
  private generation = 0;
  private readonly sessionWaiters = new Set<(session: ZkSession | undefined) => void>();
  private reconnecting: Promise<void> | undefined;
  private readonly closeHooks: Array<() => Promise<void>> = [];

  private constructor(private readonly options: ParsedConnectionOptions) {
    super();
  }

  /**
   * Opens a connection and its first session. Blocks until the server grants a session.
   * @throws InvalidOptionsError on bad options.
   * @throws ConnectionError when no session is granted within `connectTimeoutMs` (default 5 000), or
   *   at once when every server refuses the connection or does not resolve (ECONNREFUSED, ENOTFOUND).
   */
  static async connect(options: ZooKeeperConnectionOptions): Promise<ZooKeeperConnection> {
    const connection = new ZooKeeperConnection(parseConnectionOptions(options));
    // fail fast, naming ECONNREFUSED / ENOTFOUND, where the client would retry in silence
    await assertSomeServerReachable(
      zookeeperHosts(connection.options.connectString),
      connection.options.connectTimeoutMs,
    );
    connection.adopt(await ZkSession.open(connection.sessionOptions(), ++connection.generation));
    return connection;
  }

  /** Current state; see {@link ConnectionState}. */
  get state(): ConnectionState {
    return this.currentState;
  }

  /** Session id of the current session (16 hex digits), or `undefined` while a replacement is being opened. */
  get sessionId(): string | undefined {
    return this.current?.sessionId;
  }

  /** Negotiated timeout of the current session (the server may clamp the requested one). */
  get sessionTimeoutMs(): number {
    return this.current?.sessionTimeoutMs ?? this.options.sessionTimeoutMs;
  }

  /** The options in force, defaults applied; `auth` credentials masked (`user:***`): this is for display. */
  get settings(): Readonly<ParsedConnectionOptions> {
    return {
      ...this.options,
      auth: this.options.auth.map((a) => ({ scheme: a.scheme, credentials: maskCredential(a.credentials) })),
    };
  }

  /**
   * Session id and password of the current session, e.g. for `stack.expireSession()` in tests.
   * @throws ConnectionError while no session is open.
   */
  sessionCredentials(): { sessionId: Buffer; password: Buffer } {
    if (!this.current) throw new ConnectionError('zookeeper', 'no ZooKeeper session is open right now');
    return this.current.credentials();
  }

  /**
   * The live session, waiting for a replacement while the state is `lost`. Never rejects on its own
   * time: callers race it with their own deadline.
   * @throws ClosedError when the connection is (or becomes) closed.
   */
  liveSession(): Promise<ZkSession> {
    if (this.currentState === 'closed') return Promise.reject(new ClosedError('ZooKeeperConnection'));
    if (this.current && this.current.ended === undefined) return Promise.resolve(this.current);
    return new Promise((resolve, reject) => {
      this.sessionWaiters.add((session) =>
        session ? resolve(session) : reject(new ClosedError('ZooKeeperConnection')),
      );
    });
  }

  /**
   * Ends the session (ephemeral nodes, so every lock held through it, go at once) and stops
   * reconnecting. Idempotent. Close hooks and the server's acknowledgement share one grace of
   * `min(1000, sessionTimeoutMs)` ms; a silent server leaves the session to expire on its own.
   */
  async close(): Promise<void> {
    if (this.currentState === 'closed') return;
    const graceEnds = performance.now() + Math.min(1000, this.sessionTimeoutMs);
    if (this.closeHooks.length > 0 && this.current?.ended === undefined) {
      await settlesWithin(Promise.allSettled(this.closeHooks.map((hook) => hook())), graceEnds - performance.now());
    }
    if (this.isClosed()) return;
    this.setState('closed');
    for (const wake of [...this.sessionWaiters]) wake(undefined);
    this.sessionWaiters.clear();
    const session = this.current;
    this.current = undefined;
    // at least 1 ms: a close request the server can answer at once still gets sent
    if (session) await session.end('closed', Math.max(1, graceEnds - performance.now()));
  }

  /**
   * Registers work to do while the session still lives, right before `close()` ends it (e.g. deleting
   * idle lock parents). Hooks get at most `min(1000, sessionTimeoutMs)` ms together, less what the
   * server then takes to acknowledge the close.
   */
  addCloseHook(hook: () => Promise<void>): void {
    this.closeHooks.push(hook);
  }

  /** Same as {@link close}, for `await using`. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  private sessionOptions() {
    return { ...this.options, displayAddress: this.options.connectString };
  }

  private adopt(session: ZkSession): void {
    this.current = session;
    session.on('link', (link) => {
      if (this.current === session) this.setState(link);
    });
    session.once('ended', (reason) => {
      this.emit('session-ended', session, reason);
      if (this.current !== session || this.currentState === 'closed') return;
      this.current = undefined;
      this.setState('lost');
      this.reconnecting ??= this.reconnect().finally(() => (this.reconnecting = undefined));
    });
    this.setState('connected');
    for (const wake of [...this.sessionWaiters]) wake(session);
    this.sessionWaiters.clear();
  }

  private async reconnect(): Promise<void> {
    let backoffMs = 50;
    while (this.currentState !== 'closed') {
      try {
        const session = await ZkSession.open(this.sessionOptions(), ++this.generation);
        if (this.isClosed()) {
          await session.end('closed', 0);
          return;
        }
        this.adopt(session);
        return;
      } catch {
        // the server is still unreachable or silent: try again, a little later each time
        await sleep(backoffMs);
        backoffMs = Math.min(backoffMs * 2, 1000);
      }
    }
  }

  private isClosed(): boolean {
    return this.currentState === 'closed';
  }

  private setState(state: ConnectionState): void {
    const previous = this.currentState;
    if (previous === state || (previous === 'closed' && state !== 'closed')) return;
    this.currentState = state;
    this.emit('state', state, previous);
  }
}
