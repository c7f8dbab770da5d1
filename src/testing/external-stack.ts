import { redactUrl } from '../core/redact.js';
import { InvalidOptionsError, type ServerKind } from '../errors.js';
import { assembleStack } from './stack/assemble-stack.js';
import type { ServerControl } from './stack/server-handle.js';
import type { StartedStack } from './types.js';

/** An address someone else runs: reachable, but every fault-injection method rejects. */
class ExternalServer implements ServerControl {
  readonly pid = undefined;
  readonly isPaused = false;
  readonly isRunning = true;
  constructor(
    readonly kind: ServerKind,
    readonly host: string,
    readonly port: number,
  ) {}
  start(): Promise<void> {
    return this.cannot('start');
  }
  stop(): Promise<void> {
    return this.cannot('stop');
  }
  restart(): Promise<void> {
    return this.cannot('restart');
  }
  kill(): Promise<void> {
    return this.cannot('kill');
  }
  pause(): Promise<void> {
    return this.cannot('pause');
  }
  /** A no-op, as for any server that is not paused: an external one never is. */
  async resume(): Promise<void> {}
  async logTail(): Promise<string> {
    return '';
  }
  private cannot(what: string): Promise<never> {
    return Promise.reject(
      new InvalidOptionsError(
        `provider 'external' cannot ${what} ${this.kind}: it did not start that server; use provider 'local' or 'containers' for fault injection`,
      ),
    );
  }
}

type Env = Readonly<Record<string, string | undefined>>;

function requireEnv(env: Env, name: string, example: string): string {
  const value = env[name];
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
 * touches nothing, and every fault-injection method rejects with {@link InvalidOptionsError}
 * (except `resume()`, a no-op since an external server is never paused).
 * `expireSession` and `fourLetterWord` (first host of `ZKOC_ZK`) work.
 * `env` is read instead of `process.env` when given (the test fixture's per-file isolation).
 * @throws InvalidOptionsError when a variable is missing or malformed.
 */
export function externalStack(startedAt: number, env: Env = process.env): StartedStack {
  const connectString = requireEnv(env, 'ZKOC_ZK', '127.0.0.1:2181');
  const redisUrl = requireEnv(env, 'ZKOC_REDIS', 'redis://127.0.0.1:6379');
  const postgresUrl = requireEnv(env, 'DATABASE_URL', 'postgres://postgres@127.0.0.1:5432/zkoc');

  const zookeeper = connectString
    .split('/')[0]!
    .split(',')
    .map((hostPort) => {
      const at = hostAndPort(`zk://${hostPort.trim()}`, 2181, 'ZKOC_ZK');
      return new ExternalServer('zookeeper', at.host, at.port);
    });
  // ZKOC_REDIS may list a cluster's seeds, comma-separated.
  const redisUrls = redisUrl
    .split(',')
    .map((u) => u.trim())
    .filter(Boolean);
  const redis = redisUrls.map((url) => {
    const at = hostAndPort(url, 6379, 'ZKOC_REDIS');
    return new ExternalServer('redis', at.host, at.port);
  });
  const pgAt = hostAndPort(postgresUrl, 5432, 'DATABASE_URL');
  return assembleStack({
    provider: 'external',
    startedAt,
    zookeeper: { servers: zookeeper, connectString },
    redis: { nodes: redis, cluster: redis.length > 1, urls: redisUrls },
    postgres: {
      server: new ExternalServer('postgres', pgAt.host, pgAt.port),
      database: decodeURIComponent(new URL(postgresUrl).pathname.slice(1)),
      url: postgresUrl,
    },
    stop: async () => {},
  });
}
