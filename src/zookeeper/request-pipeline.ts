import { ConnectionError, ZooKeeperError } from '../errors.js';
import { type RawClient, type RawException, ZK_CODES } from './client-module.js';

/**
 * A request held back for the rest of the turn (a released node's delete, see `fused-release.ts`):
 * sent before any later request of the session, or taken by the request it can travel with.
 */
export interface HeldRequest {
  /** Groups what may be taken together (the deleted node's parent). */
  readonly group: string;
  /** Sends it as it would have been sent without holding. */
  readonly send: () => void;
}

/** A request on the wire: what the overdue sweep and `failAll` need to fail it. */
interface PendingRequest {
  readonly path: string;
  readonly sentAt: number;
  readonly reject: (error: Error) => void;
}

/**
 * The requests of one session on the wire: each sent through node-zookeeper-client's callback API
 * and turned into a promise with a typed error, tracked in send order until answered, failed when
 * overdue or when the session ends, and written together with the rest of its event-loop turn.
 */
export class RequestPipeline {
  /** Requests sent and not yet answered, in send order. */
  private readonly pending = new Set<PendingRequest>();
  /** True while the socket is corked for the current turn (see {@link coalesceWrites}). */
  private corked = false;
  /** Set by `failAll`: every later request fails with it at once. */
  private ended: Error | undefined;
  /** At most one request held back until the next request or the end of the turn. */
  private held: HeldRequest | undefined;

  /** @param onAnswered told the send time of every request the server answered (the liveness clock). */
  constructor(
    private readonly client: RawClient,
    private readonly displayAddress: string,
    private readonly sessionTimeoutMs: number,
    private readonly onAnswered: (sentAt: number) => void,
  ) {}

  /** Sends one request; `shape` turns the callback's results into the promise's value. */
  send<A extends unknown[], R>(
    path: string,
    send: (cb: (error: RawException | null, ...results: A) => void) => void,
    shape: (...results: A) => R,
  ): Promise<R> {
    if (this.held) this.sendHeld(); // nothing overtakes a held request
    if (this.ended) return Promise.reject(this.ended);
    return new Promise<R>((resolve, reject) => {
      const request: PendingRequest = { path, sentAt: performance.now(), reject };
      this.pending.add(request);
      this.coalesceWrites();
      send((error, ...results) => {
        if (error === null || (error.code !== ZK_CODES.CONNECTION_LOSS && error.code !== ZK_CODES.SESSION_EXPIRED)) {
          this.onAnswered(request.sentAt);
        }
        if (!this.pending.delete(request)) return; // already failed: overdue, or the session ended
        if (error) reject(toTypedError(error, path, this.displayAddress));
        else resolve(shape(...results));
      });
    });
  }

  /**
   * Holds `request` back until the end of this turn, unless another request comes first (then it is
   * sent first, so the session's order is the order of the calls). No added wait: the turn's requests
   * leave in one write at its end anyway. False (nothing held) when this turn's writes are not being
   * gathered (no socket: the client queues requests itself) or the session ended.
   */
  hold(request: HeldRequest): boolean {
    if (this.held) this.sendHeld();
    if (this.ended) return false;
    this.coalesceWrites();
    if (!this.corked) return false;
    this.held = request;
    return true;
  }

  /** The request held for `group`, left held; `undefined` when none. */
  heldIn(group: string): HeldRequest | undefined {
    return this.held?.group === group ? this.held : undefined;
  }

  /** Takes the held request of `group` (the caller sends it, in its place); `undefined` when none. */
  take(group: string): HeldRequest | undefined {
    const held = this.held;
    if (held?.group !== group) return undefined;
    this.held = undefined;
    return held;
  }

  private sendHeld(): void {
    const held = this.held;
    this.held = undefined;
    held?.send();
  }

  /** Fails every request still waiting for an answer, and every later one (the session ended). */
  failAll(failure: Error): void {
    this.ended = failure;
    this.sendHeld(); // fails at once, like any later request
    for (const request of [...this.pending]) request.reject(failure);
    this.pending.clear();
  }

  /**
   * Fails requests unanswered for longer than the session timeout. A backstop: ZooKeeper answers a
   * session's requests in order, so a request that old means nothing sent after it was answered
   * either, and the liveness clock has already ended the session. Run from the heartbeat, not with
   * a timer per request (a timer per request was a measurable share of a lock cycle's cost).
   */
  failOverdue(): void {
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
      this.sendHeld(); // into this turn's write
      this.corked = false;
      socket.uncork();
    });
  }
}

/** The typed error for a server answer on `path` (ConnectionError, ZooKeeperError). */
export function toTypedError(error: RawException, path: string, address: string): Error {
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

/** True when `error` is a ZooKeeper reply with the given code name (e.g. `NO_NODE`). */
export function isZkError(error: unknown, zkCode: keyof typeof ZK_CODES): error is ZooKeeperError {
  return error instanceof ZooKeeperError && error.zkCode === zkCode;
}
