/** `host:port` pairs of a ZooKeeper connect string (`h1:2181,h2:2181/chroot`); the port defaults to 2181. */
export function zookeeperHosts(connectString: string): { host: string; port: number }[] {
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
