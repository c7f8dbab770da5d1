import { type Redis, ReplyError } from 'ioredis';

/** What a {@link TrackingConnection} reports. Called synchronously, from ioredis's event handlers. */
export interface TrackingHandlers {
  /** Redis keys modified under the prefix (by anyone: writes, DEL, expiry, eviction); `null`: all (FLUSHALL/FLUSHDB). */
  invalidated(redisKeys: readonly Buffer[] | null): void;
  /** Tracking is on (a fresh connection, subscribed) or off (the connection closed or is being replaced). */
  changed(active: boolean): void;
  /** Redis refused tracking (older than 6, an ACL without CLIENT, a proxy): the connection is closed for good. */
  refused(reason: string, error: unknown): void;
}

const CHANNEL = '__redis__:invalidate';

/**
 * One Redis connection that receives invalidation pushes for every key under `prefix` (RESP2 client
 * tracking, broadcast mode, redirected to itself): on every (re)connect it runs `CLIENT ID`, then
 * `CLIENT TRACKING on REDIRECT <own id> BCAST PREFIX <prefix>`, then subscribes to
 * `__redis__:invalidate`, and only then reports itself active. BCAST keeps no per-key table in Redis:
 * every modification under the prefix is pushed, whoever made it.
 *
 * Why one connection answers "has every invalidation before now reached us?": Redis appends an
 * invalidation to this connection's output when the write executes, and answers a PING on it after
 * whatever it appended before the PING ran. So a PING's reply comes after the invalidations of every
 * write that completed before the PING was sent (docs/design.md "Near cache").
 *
 * The connection passed in must be fresh, lazy, without an offline queue and without auto-resubscribe
 * (the setup must run again, in order, with the new client id); it is owned from here on.
 */
export class TrackingConnection {
  readonly #conn: Redis;
  readonly #prefix: string;
  readonly #handlers: TrackingHandlers;
  #active = false;
  #closed = false;
  // The latest setup: one overtaken by a reconnect (or a close) must not turn tracking on.
  #setups = 0;
  #settleFirst: (() => void) | undefined;

  constructor(conn: Redis, prefix: string, handlers: TrackingHandlers) {
    this.#conn = conn;
    this.#prefix = prefix;
    this.#handlers = handlers;
    conn.on('messageBuffer', (_channel: Buffer, payload: unknown) => {
      handlers.invalidated(Array.isArray(payload) ? (payload as Buffer[]) : null);
    });
    conn.on('ready', () => void this.#setup());
    for (const event of ['close', 'reconnecting', 'end']) conn.on(event, () => this.#off());
    conn.on('error', () => {}); // ioredis reconnects; the state changes say what matters
  }

  /** True while invalidations are being received on a subscribed connection. */
  get active(): boolean {
    return this.#active;
  }

  /**
   * Opens the connection. Resolves when tracking is on, refused, or after `timeoutMs` (it keeps
   * trying in the background then); never rejects.
   */
  start(timeoutMs: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const timer = setTimeout(() => this.#settleFirst?.(), timeoutMs);
      timer.unref();
      this.#settleFirst = () => {
        this.#settleFirst = undefined;
        clearTimeout(timer);
        resolve();
      };
      this.#conn.connect().catch(() => {}); // retried by ioredis; 'ready' runs the setup
    });
  }

  /** One PING on this connection (allowed in subscriber mode); rejects at once when it is not ready. */
  ping(): Promise<unknown> {
    return this.#conn.ping();
  }

  /** Drops the connection and reconnects (a PING went unanswered: what it has pushed is not trusted). */
  reset(): void {
    this.#off();
    if (!this.#closed) this.#conn.disconnect(true);
  }

  /** Turns tracking off for good and closes the socket at once (no handle left). Idempotent. */
  close(): void {
    this.#closed = true;
    this.#off();
    this.#conn.disconnect();
    this.#settleFirst?.();
  }

  async #setup(): Promise<void> {
    const setup = ++this.#setups;
    const conn = this.#conn;
    try {
      const id = await conn.client('ID');
      await conn.call('CLIENT', 'TRACKING', 'on', 'REDIRECT', String(id), 'BCAST', 'PREFIX', this.#prefix);
      await conn.subscribe(CHANNEL);
    } catch (error) {
      if (setup !== this.#setups || this.#closed) return;
      if (error instanceof (ReplyError as new () => Error)) {
        // Redis answered "no": asking again on every reconnect would not change that.
        this.#closed = true;
        conn.disconnect();
        this.#handlers.refused(`Redis refused client tracking: ${error.message}`, error);
        this.#settleFirst?.();
      }
      return; // a connection failure: the next 'ready' runs the setup again
    }
    if (setup !== this.#setups || this.#closed || conn.status !== 'ready') return;
    this.#active = true;
    this.#handlers.changed(true);
    this.#settleFirst?.();
  }

  #off(): void {
    this.#setups += 1;
    if (!this.#active) return;
    this.#active = false;
    this.#handlers.changed(false);
  }
}
