import { connect } from 'node:net';

/** What the server answered when the session id was presented together with a closeSession. */
export type SessionCloseOutcome =
  /** The server refused the id: the session no longer exists. */
  | 'expired'
  /** The server accepted the id and confirmed the closeSession. */
  | 'closed'
  /** The server accepted the id, then dropped the socket before confirming the close (the owner took the session back). */
  | 'interrupted';

const CLOSE_SESSION_OP = -11;
const CLOSE_XID = 1;

/** A jute ConnectRequest for an existing session, length-prefixed. */
function connectRequest(sessionId: Buffer, password: Buffer): Buffer {
  const body = Buffer.alloc(4 + 8 + 4 + 8 + 4 + password.length + 1);
  let at = body.writeInt32BE(0, 0); // protocolVersion
  at = body.writeBigInt64BE(0n, at); // lastZxidSeen: 0 is never ahead of the server
  at = body.writeInt32BE(30_000, at); // timeOut (ignored for an existing session)
  at += sessionId.copy(body, at, 0, 8);
  at = body.writeInt32BE(password.length, at);
  at += password.copy(body, at);
  body.writeUInt8(0, at); // readOnly = false
  return frame(body);
}

function closeSessionRequest(): Buffer {
  const body = Buffer.alloc(8);
  body.writeInt32BE(CLOSE_XID, 0);
  body.writeInt32BE(CLOSE_SESSION_OP, 4);
  return frame(body);
}

function frame(body: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeInt32BE(body.length, 0);
  return Buffer.concat([length, body]);
}

/** Splits complete length-prefixed frames off the front of `buffer`. */
function takeFrames(buffer: Buffer): { frames: Buffer[]; rest: Buffer } {
  const frames: Buffer[] = [];
  let at = 0;
  while (buffer.length - at >= 4) {
    const size = buffer.readInt32BE(at);
    if (buffer.length - at - 4 < size) break;
    frames.push(buffer.subarray(at + 4, at + 4 + size));
    at += 4 + size;
  }
  return { frames, rest: buffer.subarray(at) };
}

/**
 * Presents `sessionId`/`password` to one ZooKeeper server and, once the server has accepted
 * them, asks it to close the session.
 *
 * The close is sent only after the connect reply, not pipelined with it: presenting the id makes
 * the server drop the owner's connection and the owner reconnects at once. On a server with
 * several NIO worker threads the owner's reconnect can be processed concurrently with ours, and
 * a close that follows immediately then leaves the owner's new connection open on the dead
 * session (measured on a 4-worker server: 5 in 320 tries pipelined, 3 in 1,000 with the reply awaited). Waiting
 * for the reply gives the owner's reconnect time to take the session back first; we then see
 * `interrupted` and the caller tries again. The local harness removes the race entirely by
 * running ZooKeeper with one NIO worker thread (see zookeeper-server.ts).
 * @throws Error on refusal, reset before any answer, or no answer within `timeoutMs` (a paused server is silent).
 */
export function presentAndCloseSession(
  host: string,
  port: number,
  sessionId: Buffer,
  password: Buffer,
  timeoutMs: number,
): Promise<SessionCloseOutcome> {
  return new Promise((resolve, reject) => {
    let pending: Buffer = Buffer.alloc(0);
    let accepted = false;
    let settled = false;
    const socket = connect({ host, port });
    const finish = (outcome: SessionCloseOutcome | Error): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      if (outcome instanceof Error) reject(outcome);
      else resolve(outcome);
    };
    const timer = setTimeout(
      () => finish(new Error(`no answer from ${host}:${port} within ${timeoutMs} ms`)),
      timeoutMs,
    );
    socket.setNoDelay(true);
    socket.on('connect', () => socket.write(connectRequest(sessionId, password)));
    socket.on('data', (chunk: Buffer) => {
      const { frames, rest } = takeFrames(Buffer.concat([pending, chunk]));
      pending = rest;
      for (const body of frames) {
        if (!accepted) {
          // ConnectResponse: protocolVersion, timeOut, ... A timeOut of 0 means the id is unknown.
          if (body.readInt32BE(4) <= 0) return finish('expired');
          accepted = true;
          socket.write(closeSessionRequest());
        } else if (body.readInt32BE(0) === CLOSE_XID) {
          return finish(
            body.readInt32BE(12) === 0
              ? 'closed'
              : new Error(`closeSession failed with ZooKeeper error ${body.readInt32BE(12)}`),
          );
        }
      }
    });
    socket.on('close', () =>
      finish(accepted ? 'interrupted' : new Error(`${host}:${port} closed the connection before answering`)),
    );
    socket.on('error', (error) => finish(error));
  });
}
