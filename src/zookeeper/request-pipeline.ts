import { ConnectionError, ZooKeeperError } from '../errors.js';
import { type RawClient, type RawException, ZK_CODES } from './client-module.js';

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

  /** Fails every request still waiting for an answer, and every later one (the session ended). */
  failAll(failure: Error): void {
    this.ended = failure;
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
