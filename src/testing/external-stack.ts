import { redactUrl } from '../core/redact.js';
import { InvalidOptionsError, type ServerKind } from '../errors.js';
import { expireSession } from './expire-session.js';
import { fourLetterWord } from './four-letter-word.js';
import type {
  ExpireSessionOptions,
  StartedPostgres,
  StartedRedis,
  StartedRedisNode,
  StartedServer,
  StartedStack,
  StartedZooKeeper,
  StartedZooKeeperServer,
} from './types.js';
import { findLeader } from './zookeeper-leader.js';

function cannot(kind: ServerKind, what: string): Promise<never> {
  return Promise.reject(
    new InvalidOptionsError(
      `provider 'external' cannot ${what} ${kind}: it did not start that server; use provider 'local' or 'containers' for fault injection`,
    ),
  );
}

function externalServer<K extends ServerKind>(kind: K, host: string, port: number): StartedServer & { kind: K } {
  return {
    kind,
    host,
    port,
    pid: undefined,
    isPaused: false,
    isRunning: true,
    start: () => cannot(kind, 'start'),
    stop: () => cannot(kind, 'stop'),
    restart: () => cannot(kind, 'restart'),
    kill: () => cannot(kind, 'kill'),
    pause: () => cannot(kind, 'pause'),
    resume: () => cannot(kind, 'resume'),
    logTail: async () => '',
  };
}

function requireEnv(name: string, example: string): string {
  const value = process.env[name];
  if (!value) throw new InvalidOptionsError(`provider 'external' needs env ${name} (e.g. ${name}=${example})`);
  return value;
}

function hostAndPort(url: string, defaultPort: number, envName: string): { host: string; port: number } {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new InvalidOptionsError(`env ${envName} must be a URL, got ${JSON.stringify(redactUrl(url))}`);
  }
  return { host: parsed.hostname, port: parsed.port ? Number(parsed.port) : defaultPort };
}

/**
 * Servers someone else runs, named by env: `ZKOC_ZK` (`host:port[,host:port…]`, one entry of
 * `servers` each), `ZKOC_REDIS` (`redis://…`, or a cluster's comma-separated seed URLs), `DATABASE_URL` (`postgres://…`). Nothing is started or checked here, `stop()`
 * touches nothing, and every fault-injection method rejects with {@link InvalidOptionsError}.
 * `expireSession` and `fourLetterWord` (first host of `ZKOC_ZK`) work.
 * @throws InvalidOptionsError when a variable is missing or malformed.
 */
export function externalStack(startedAt: number): StartedStack {
  const connectString = requireEnv('ZKOC_ZK', '127.0.0.1:2181');
  const redisUrl = requireEnv('ZKOC_REDIS', 'redis://127.0.0.1:6379');
  const postgresUrl = requireEnv('DATABASE_URL', 'postgres://postgres@127.0.0.1:5432/zkoc');

  const firstZk = connectString.split(',')[0]!.split('/')[0]!;
  const zk = hostAndPort(`zk://${firstZk}`, 2181, 'ZKOC_ZK');
  const servers: StartedZooKeeperServer[] = connectString
    .split('/')[0]!
    .split(',')
    .map((hostPort, i) => {
      const at = hostAndPort(`zk://${hostPort.trim()}`, 2181, 'ZKOC_ZK');
      return {
        ...externalServer('zookeeper', at.host, at.port),
        id: i + 1,
        connectString: `${at.host}:${at.port}`,
        fourLetterWord: (word: string, options?: { timeoutMs?: number }) =>
          fourLetterWord(at.host, at.port, word, options),
      };
    });
  const zookeeper: StartedZooKeeper = {
    ...externalServer('zookeeper', zk.host, zk.port),
    id: 1,
    connectString,
    servers,
    leader: (options) => findLeader(servers, options?.timeoutMs),
    fourLetterWord: (word, options) => fourLetterWord(zk.host, zk.port, word, options),
  };
  // ZKOC_REDIS may list a cluster's seeds, comma-separated.
  const redisUrls = redisUrl
    .split(',')
    .map((u) => u.trim())
    .filter(Boolean);
  const nodes: StartedRedisNode[] = redisUrls.map((url) => {
    const at = hostAndPort(url, 6379, 'ZKOC_REDIS');
    return { ...externalServer('redis', at.host, at.port), url };
  });
  const redis: StartedRedis = { ...nodes[0]!, isCluster: nodes.length > 1, urls: redisUrls, nodes };
  const pgAt = hostAndPort(postgresUrl, 5432, 'DATABASE_URL');
  const postgres: StartedPostgres = {
    ...externalServer('postgres', pgAt.host, pgAt.port),
    url: postgresUrl,
    database: decodeURIComponent(new URL(postgresUrl).pathname.slice(1)),
  };
  const stop = async (): Promise<void> => {};
  return {
    provider: 'external',
    startupMs: Date.now() - startedAt,
    zookeeper,
    redis,
    postgres,
    expireSession: (sessionId: Buffer, password: Buffer, options?: ExpireSessionOptions) =>
      expireSession(connectString, sessionId, password, options?.timeoutMs),
    stop,
    [Symbol.asyncDispose]: stop,
  };
}
