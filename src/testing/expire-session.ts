import { ConnectionError } from '../errors.js';
import { zookeeperHosts } from '../zookeeper/connect-string.js';
import { fourLetterWord } from './four-letter-word.js';
import { presentAndCloseSession } from './zookeeper-session-close.js';

type Host = { host: string; port: number };

/**
 * Ends a ZooKeeper session from outside, the documented way: present the same session id and
 * password on a second connection (the server moves the session to it) and close the session
 * there. The owner can reconnect and take the session back before the close lands, so this
 * repeats until presenting the id gets "expired" from the server: that reply is the proof the
 * session is gone. The owner sees `expired` when it next reaches the server.
 *
 * Then it checks, with `cons` where the server allows it, that no connection still carries the
 * session: a ZooKeeper 3.8 server with several NIO workers can leave the owner connected to the
 * dead session, dropping its pings, so a client without its own liveness timer would wait
 * forever. That is reported instead of returning.
 * Servers of a multi-host connect string are tried in turn when one does not answer.
 * @throws ConnectionError when the server has not confirmed expiry within `timeoutMs`, or left
 *   the owner connected to the dead session.
 */
export async function expireSession(
  connectString: string,
  sessionId: Buffer,
  password: Buffer,
  timeoutMs = 10_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const hosts = zookeeperHosts(connectString);
  const hexId = `0x${sessionId.toString('hex').replace(/^0+(?=.)/, '')}`;
  let lastProblem = 'no server in the connect string';
  for (let attempt = 0; hosts.length > 0 && Date.now() < deadline; attempt++) {
    const { host, port } = hosts[attempt % hosts.length]!;
    const outcome = await presentAndCloseSession(
      host,
      port,
      sessionId,
      password,
      Math.max(1, deadline - Date.now()),
    ).catch((error: Error) => {
      lastProblem = error.message;
      return 'unanswered' as const;
    });
    if (outcome === 'expired') return assertNoConnectionOnSession(hosts, hexId, connectString);
    if (outcome === 'unanswered' && attempt % hosts.length === hosts.length - 1)
      await new Promise((r) => setTimeout(r, 100));
  }
  throw new ConnectionError(
    'zookeeper',
    `session ${hexId} at ${connectString} was not confirmed expired within timeoutMs=${timeoutMs} (${lastProblem})`,
  );
}

/** Throws when a connection still carries the expired session a second after expiry (a reconnect in flight closes within milliseconds). */
export async function assertNoConnectionOnSession(hosts: Host[], hexId: string, connectString: string): Promise<void> {
  for (let check = 0; check < 10; check++) {
    const holders = await connectionsCarrying(hosts, hexId);
    if (holders.length === 0) return;
    if (check === 9) {
      throw new ConnectionError(
        'zookeeper',
        `session ${hexId} at ${connectString} is closed, but the server kept a client connection on it (${holders.join('; ')}); ` +
          'ZooKeeper drops that connection\'s pings, so its client never hears "expired" unless it has its own liveness timer',
      );
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Lines of `cons` naming the session, from every server that answers `cons` (unanswered ones are skipped). */
async function connectionsCarrying(hosts: Host[], hexId: string): Promise<string[]> {
  const replies = await Promise.all(
    hosts.map(({ host, port }) => fourLetterWord(host, port, 'cons', { timeoutMs: 1_000 }).catch(() => '')),
  );
  return replies.flatMap((reply) =>
    reply
      .split('\n')
      .filter((line) => line.includes(`sid=${hexId},`))
      .map((line) => line.trim()),
  );
}
