import { createServer } from 'node:net';

// Below Linux's ephemeral range (32768–60999), so an outgoing connection's local port cannot
// grab the port between our check and the server's bind. Random, so parallel test processes
// rarely pick the same one; a collision makes the server fail to bind, and the caller retries.
const LOW_PORT = 20_000;
const HIGH_PORT = 32_000;
const handedOut = new Set<number>();

function isFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen({ host: '127.0.0.1', port, exclusive: true }, () => server.close(() => resolve(true)));
  });
}

/**
 * Resolves with a TCP port on 127.0.0.1 that nothing listens on right now and that this
 * process has not handed out before. Another process may still take it before the server
 * binds; servers that fail to bind are restarted on a new port by the caller.
 */
export async function findFreePort(): Promise<number> {
  for (let attempt = 0; attempt < 200; attempt += 1) {
    const port = LOW_PORT + Math.floor(Math.random() * (HIGH_PORT - LOW_PORT));
    if (handedOut.has(port)) continue;
    if (await isFree(port)) {
      handedOut.add(port);
      return port;
    }
  }
  throw new Error(`no free TCP port found on 127.0.0.1 in ${LOW_PORT}-${HIGH_PORT} after 200 attempts`);
}
