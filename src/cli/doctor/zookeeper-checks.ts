import { namespaceLockRoot, namespaceZnode } from '../../core/namespace.js';
import { tcpExchange } from '../../testing/tcp-exchange.js';
import { type RawClient, zookeeperModule } from '../../zookeeper/client-module.js';
import { zookeeperHosts } from '../../zookeeper/connect-string.js';
import type { ZooKeeperAuth } from '../../zookeeper/connection-options.js';
import { timeoutLimits } from '../connection-options.js';
import { describeAclExposure } from '../render/acl.js';
import { formatDuration } from '../render/duration.js';
import { type CheckResult, reason, withDeadline } from './check.js';
import { checkLockTree } from './lock-tree-check.js';

/**
 * Checks every ZooKeeper server of the connect string with `srvr` (reachable, version, mode,
 * latency), then opens one session and reads the ACL of the namespace's root znode.
 * Never blocks longer than about `timeoutMs` per probe.
 */
export async function checkZooKeeper(
  connectString: string,
  namespace: string,
  timeoutMs: number,
  auth: readonly ZooKeeperAuth[] = [],
): Promise<CheckResult[]> {
  const results: CheckResult[] = [];
  for (const { host, port } of zookeeperHosts(connectString)) {
    const address = `${host}:${port}`;
    const started = performance.now();
    try {
      const reply = await tcpExchange('zookeeper', host, port, 'srvr', { timeoutMs });
      const latencyMs = performance.now() - started;
      const version = /Zookeeper version: ([^\s,-]+)/i.exec(reply)?.[1];
      const mode = /Mode: (\S+)/.exec(reply)?.[1];
      if (!version) {
        results.push({
          server: 'zookeeper',
          check: 'reachable',
          status: 'warn',
          latencyMs,
          detail: `${address} answered srvr without a version (4lw whitelist?): ${reply.trim().slice(0, 80)}`,
        });
        continue;
      }
      results.push({
        server: 'zookeeper',
        check: 'reachable',
        status: 'ok',
        latencyMs,
        detail: `${address} answered srvr in ${formatDuration(latencyMs)}`,
      });
      results.push({
        server: 'zookeeper',
        check: 'version',
        status: 'ok',
        detail: `${address} ZooKeeper ${version}, mode ${mode ?? 'unknown'}`,
      });
    } catch (error) {
      const message = reason(error);
      results.push({
        server: 'zookeeper',
        check: 'reachable',
        status: 'fail',
        detail: message.startsWith('zookeeper at ') ? message : `zookeeper at ${address}: ${message}`,
      });
    }
  }
  results.push(...(await checkSession(connectString, namespace, timeoutMs, auth)));
  return results;
}

async function checkSession(
  connectString: string,
  namespace: string,
  timeoutMs: number,
  auth: readonly ZooKeeperAuth[],
): Promise<CheckResult[]> {
  const client = zookeeperModule.createClient(connectString, {
    sessionTimeout: timeoutLimits(timeoutMs).sessionTimeoutMs,
    retries: 0,
  });
  // The credential goes with the session, so a lock tree that is not world-readable can be read.
  for (const { scheme, credentials } of auth) client.addAuthInfo(scheme, Buffer.from(credentials, 'utf8'));
  const root = namespaceZnode(namespace);
  try {
    const started = performance.now();
    await withDeadline(
      new Promise<void>((resolve) => {
        client.on('state', (state) => {
          if (state.name === 'SYNC_CONNECTED') resolve();
        });
        client.connect();
      }),
      timeoutMs,
      `zookeeper at ${connectString}: session`,
    );
    const latencyMs = performance.now() - started;
    const as =
      auth.length > 0 ? `, with digest credential ${auth.map((a) => a.credentials.split(':')[0]).join(', ')}` : '';
    const session: CheckResult = {
      server: 'zookeeper',
      check: 'session',
      status: 'ok',
      latencyMs,
      detail: `session established in ${formatDuration(latencyMs)}${as}`,
    };
    const lockRoot = namespaceLockRoot(namespace);
    const tree = await withDeadline(
      checkLockTree(client, lockRoot),
      timeoutMs,
      `zookeeper at ${connectString}: ${lockRoot}`,
    ).catch(
      (error: unknown): CheckResult => ({
        server: 'zookeeper',
        check: 'lock tree',
        status: 'fail',
        detail: reason(error),
      }),
    );
    try {
      const acl = await withDeadline(getAcl(client, root), timeoutMs, `zookeeper at ${connectString}: getACL ${root}`);
      const detail =
        acl === undefined
          ? `${root} does not exist yet (created on first lock)`
          : `${root} ACL ${acl.map((a) => `${a.scheme}:${a.id}:${a.perms}`).join(', ')} (${describeAclExposure(acl)})`;
      return [session, tree, { server: 'zookeeper', check: 'acl', status: 'ok', detail }];
    } catch (error) {
      return [session, tree, { server: 'zookeeper', check: 'acl', status: 'fail', detail: reason(error) }];
    }
  } catch (error) {
    return [{ server: 'zookeeper', check: 'session', status: 'fail', detail: reason(error) }];
  } finally {
    closeQuietly(client);
  }
}

/** Closes a client even when its server is silent: close() alone leaves the reconnect loop's socket open. */
export function closeQuietly(client: RawClient): void {
  client.removeAllListeners('state');
  try {
    client.close();
  } finally {
    client.connectionManager?.socket?.destroy();
  }
}

interface AclEntry {
  scheme: string;
  id: string;
  perms: string;
}

function getAcl(client: RawClient, path: string): Promise<AclEntry[] | undefined> {
  const raw = client as unknown as {
    getACL(
      path: string,
      cb: (error: { name?: string } | null, acls: { permission: number; id: { scheme: string; id: string } }[]) => void,
    ): void;
  };
  return new Promise((resolve, reject) => {
    raw.getACL(path, (error, acls) => {
      if (error?.name === 'NO_NODE') resolve(undefined);
      else if (error) reject(new Error(`getACL ${path}: ${error.name ?? String(error)}`));
      else resolve(acls.map((a) => ({ scheme: a.id.scheme, id: a.id.id, perms: permissionLetters(a.permission) })));
    });
  });
}

// ZooKeeper's permission bits: READ 1, WRITE 2, CREATE 4, DELETE 8, ADMIN 16 — shown as `cdrwa`.
function permissionLetters(bits: number): string {
  return [
    [4, 'c'],
    [8, 'd'],
    [1, 'r'],
    [2, 'w'],
    [16, 'a'],
  ]
    .map(([bit, letter]) => ((bits & (bit as number)) !== 0 ? (letter as string) : ''))
    .join('');
}
