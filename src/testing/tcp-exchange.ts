import { connect } from 'node:net';
import { deadlineTimer } from '../core/deadline.js';
import { ConnectionError, type ServerKind } from '../errors.js';

/** Options of {@link tcpExchange}. */
export interface TcpExchangeOptions {
  /** Deadline for connect + write + reply. */
  timeoutMs: number;
  /** Resolve as soon as the reply received so far satisfies this; otherwise wait for the server to close. */
  isComplete?: (replySoFar: string) => boolean;
}

/**
 * Opens a TCP connection, writes `payload`, and resolves with the reply text: when
 * `isComplete` says so, or when the server closes the connection (four-letter words do).
 * Never hangs: a paused server is silent, so everything is bounded by `timeoutMs`.
 * @throws ConnectionError on refusal, reset, or when the deadline passes.
 */
export function tcpExchange(
  server: ServerKind,
  host: string,
  port: number,
  payload: string,
  options: TcpExchangeOptions,
): Promise<string> {
  return new Promise((resolve, reject) => {
    let reply = '';
    let settled = false;
    const socket = connect({ host, port });
    const finish = (error?: Error): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      if (error) reject(error);
      else resolve(reply);
    };
    // a caller's deadline: past a timer's reach, deadlineTimer arms none instead of firing at once
    const timer = deadlineTimer(options.timeoutMs, () =>
      finish(
        new ConnectionError(
          server,
          `${server} at ${host}:${port} did not answer ${JSON.stringify(payload.trim())} within timeoutMs=${options.timeoutMs}`,
        ),
      ),
    );
    socket.setEncoding('utf8');
    socket.on('connect', () => socket.write(payload));
    socket.on('data', (chunk: string) => {
      reply += chunk;
      if (options.isComplete?.(reply)) finish();
    });
    socket.on('end', () => finish());
    socket.on('error', (cause) =>
      finish(new ConnectionError(server, `${server} at ${host}:${port}: ${cause.message}`, { cause })),
    );
  });
}
