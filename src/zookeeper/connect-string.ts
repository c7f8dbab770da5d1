import { InvalidOptionsError } from '../errors.js';

/** One server of a connect string. */
export interface ZooKeeperHost {
  host: string;
  port: number;
}

const HOST = /^[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?$/;
const CHROOT_SEGMENT = /^[^/\s]+$/;

/**
 * Checks a connect string (`host:port[,host:port…][/chroot]`) before node-zookeeper-client sees it:
 * that client reports `zk://h:2181` as an assertion about an empty node name, and a bad port only
 * as a connect timeout.
 * @throws InvalidOptionsError naming `option` and what is wrong, e.g. a scheme to drop.
 */
export function assertValidConnectString(connectString: unknown, option = 'connectString'): void {
  const expected = `${option} must look like "host:port[,host:port…][/chroot]"`;
  if (typeof connectString !== 'string') throw new InvalidOptionsError(`${expected}, got ${typeof connectString}`);
  const got = JSON.stringify(connectString);
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(connectString);
  if (scheme) throw new InvalidOptionsError(`${expected} without a URL scheme (drop "${scheme[0]}"), got ${got}`);
  const slash = connectString.indexOf('/');
  const hostsPart = slash < 0 ? connectString : connectString.slice(0, slash);
  const hosts = hostsPart.split(',');
  for (const entry of hosts) {
    const at = entry.lastIndexOf(':');
    const host = at < 0 ? entry : entry.slice(0, at);
    const port = at < 0 ? '2181' : entry.slice(at + 1);
    if (!HOST.test(host)) throw new InvalidOptionsError(`${expected}, got ${got} (bad host ${JSON.stringify(host)})`);
    if (!/^[0-9]{1,5}$/.test(port) || Number(port) < 1 || Number(port) > 65_535)
      throw new InvalidOptionsError(`${expected}, got ${got} (port ${JSON.stringify(port)} is not 1…65535)`);
  }
  if (slash >= 0) {
    const segments = connectString.slice(slash + 1).split('/');
    if (segments.some((s) => !CHROOT_SEGMENT.test(s) || s === '.' || s === '..'))
      throw new InvalidOptionsError(`${expected}, got ${got} (the chroot must be an absolute path like /app/cache)`);
  }
}

/** `host:port` pairs of a ZooKeeper connect string (`h1:2181,h2:2181/chroot`); the port defaults to 2181. */
export function zookeeperHosts(connectString: string): ZooKeeperHost[] {
  const hostsPart = connectString.split('/')[0] ?? '';
  return hostsPart
    .split(',')
    .map((h) => h.trim())
    .filter(Boolean)
    .map((h) => {
      const at = h.lastIndexOf(':');
      return at > 0 ? { host: h.slice(0, at), port: Number(h.slice(at + 1)) || 2181 } : { host: h, port: 2181 };
    });
}
