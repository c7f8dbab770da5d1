import type { Cluster, Redis } from 'ioredis';

/**
 * Calls `fn` once for every server connection of `client`: the client itself, or each node
 * connection of a Cluster, those it opens later included (ioredis's `+node`).
 */
export function forEachConnection(client: Redis | Cluster, fn: (connection: Redis) => void): void {
  if (!client.isCluster) {
    fn(client as Redis);
    return;
  }
  const cluster = client as Cluster;
  for (const node of cluster.nodes('all')) fn(node);
  cluster.on('+node', (node: Redis) => fn(node));
}
