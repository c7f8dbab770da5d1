import { connect, type Socket } from 'node:net';
import { ConnectionError } from '../errors.js';
import type { ZooKeeperHost } from './connect-string.js';

/**
 * Resolves once any of `hosts` accepts a TCP connection (closed at once). node-zookeeper-client
 * retries refused and unresolvable servers in silence until the connect timeout, so without this a
 * typo in a port or a host name costs the whole timeout and an error that does not say why.
 * @throws ConnectionError when every host refuses or does not resolve (the message lists each
 *   host's error code: ECONNREFUSED, ENOTFOUND, …), or when none connects within `timeoutMs`.
 */
export function assertSomeServerReachable(hosts: readonly ZooKeeperHost[], timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const sockets: Socket[] = [];
    const failures: string[] = [];
    let settled = false;
    const finish = (error?: Error): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      for (const socket of sockets) socket.destroy();
      if (error) reject(error);
      else resolve();
    };
    const where = hosts.map(({ host, port }) => `${host}:${port}`).join(',');
    const timer = setTimeout(
      () =>
        finish(
          new ConnectionError(
            'zookeeper',
            `could not open a ZooKeeper session at ${where} within connectTimeoutMs=${timeoutMs} (no server accepted a TCP connection)`,
          ),
        ),
      timeoutMs,
    );
    for (const { host, port } of hosts) {
      const socket = connect({ host, port });
      sockets.push(socket);
      socket.once('connect', () => finish());
      socket.once('error', (error: NodeJS.ErrnoException) => {
        // node's messages name the code and the address: "connect ECONNREFUSED 127.0.0.1:2181"
        failures.push(error.message.includes(String(error.code)) ? error.message : `${host}:${port} ${error.message}`);
        if (failures.length < hosts.length) return;
        finish(
          new ConnectionError('zookeeper', `could not reach ZooKeeper at ${where}: ${failures.join(', ')}`, {
            cause: error,
          }),
        );
      });
    }
  });
}
