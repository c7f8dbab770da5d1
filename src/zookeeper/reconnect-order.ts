import type { RawClient } from './client-module.js';

interface ReorderableManager {
  packetQueue?: { queue?: unknown[] };
  onSocketConnected(this: ReorderableManager, ...args: unknown[]): void;
}

/**
 * On a reconnect, sends the session's credentials (and its watch re-registration) before the
 * requests queued while the link was down, as ZooKeeper's Java client does. node-zookeeper-client
 * appends its AUTH and SetWatches packets behind them, so a request queued during the outage (a
 * release's delete, a waiter's listing) reached the server on a connection not yet authenticated
 * and was refused NO_AUTH under a digest ACL: a released lock then stayed held until its session
 * ended. The library's own connect-time packets are left as they are; only their order changes.
 */
export function credentialsFirstOnReconnect(client: RawClient): void {
  const manager = (client as { connectionManager?: ReorderableManager }).connectionManager;
  if (!manager || typeof manager.onSocketConnected !== 'function') return; // another client version: leave it
  const connected = manager.onSocketConnected;
  // an own property: the library binds `this.onSocketConnected` when it opens each socket
  manager.onSocketConnected = function (this: ReorderableManager, ...args: unknown[]): void {
    const queue = this.packetQueue?.queue;
    const waiting = Array.isArray(queue) ? queue.splice(0, queue.length) : [];
    connected.apply(this, args); // writes ConnectRequest, queues AUTH and SetWatches
    queue?.push(...waiting);
  };
}
