import { Cluster, Redis, type RedisOptions } from 'ioredis';
import { withDeadline } from '../core/deadline.js';
import { redactText, redactUrl, urlPasswords } from '../core/redact.js';
import { AccessDeniedError, ConnectionError } from '../errors.js';
import { assertRedisSpecShape, parseRedisUrl } from '../redis/redis-spec.js';
import { accessRefusalOf, redisSecretsOf } from '../redis/transport-failure.js';
import { forEachConnection } from './redis-connections.js';
import { watchLiveness } from './redis-liveness.js';
import { batchWrites } from './redis-write-batching.js';

/** What `OrderedCache.connect` accepts as `redis`. */
export type RedisSpec = string | string[] | RedisOptions | Redis | Cluster;

export interface OpenedRedis {
  client: Redis | Cluster;
  /** True when we created the client (and so must close it). */
  owned: boolean;
}

/**
 * Returns a connected ioredis client for `spec`. Connections we create pipeline (a command leaves
 * at once when nothing is outstanding, else with the others held until the outstanding ones are
 * answered, in one write: {@link batchWrites}), are bounded on connect, and
 * carry a liveness check (a paused Redis must fail a call, not hang it: see {@link watchLiveness})
 * instead of ioredis's per-command timer. A client you pass is used as it is.
 * @throws ConnectionError (message without passwords) when the connection is not ready in time.
 */
export async function openRedis(
  spec: RedisSpec,
  limits: { connectTimeoutMs: number; commandTimeoutMs: number },
): Promise<OpenedRedis> {
  if (isClient(spec)) return { client: spec, owned: false };
  assertRedisSpecShape(spec);
  const common: RedisOptions = {
    lazyConnect: true,
    connectTimeout: limits.connectTimeoutMs,
    maxRetriesPerRequest: 1,
  };
  let client: Redis | Cluster;
  let where: string;
  if (Array.isArray(spec)) {
    const seeds = spec.map((url, i) => parseRedisUrl(url, `redis[${i}]`));
    const nodes = seeds.map(({ host, port }) => ({ host, port }));
    client = new Cluster(nodes, {
      lazyConnect: true,
      redisOptions: { ...common, username: seeds[0]?.username, password: seeds[0]?.password },
    });
    where = spec.map((url) => redactUrl(url)).join(',');
  } else if (typeof spec === 'string') {
    client = new Redis(spec, common);
    where = redactUrl(spec);
  } else {
    client = new Redis({ ...spec, ...common, ...pick(spec) });
    where = `${spec.host ?? '127.0.0.1'}:${spec.port ?? 6379}`;
  }
  // ioredis retries in the background forever and reports why only on 'error' (NOAUTH, WRONGPASS,
  // ECONNREFUSED…): keep the last one for our message instead of an unhandled event.
  let lastError: Error | undefined;
  const swallow = (error: Error) => {
    lastError = error;
  };
  client.on('error', swallow);
  watchLiveness(client, limits.commandTimeoutMs);
  forEachConnection(client, (connection) => batchWrites(connection));
  try {
    await withDeadline(
      client.connect(),
      limits.connectTimeoutMs,
      () => new Error(`not ready within ${limits.connectTimeoutMs} ms`),
    );
    return { client, owned: true };
  } catch (error) {
    client.disconnect();
    const secrets = [...redisSecretsOf(client), ...(typeof spec === 'string' ? urlPasswords(spec) : [])];
    const said = error instanceof Error ? error.message : String(error);
    const reason = redactText(
      lastError && lastError.message !== said ? `${said} (${lastError.message})` : said,
      secrets,
    );
    // A refused credential is not worth retrying, unlike an unreachable server.
    const refusal = accessRefusalOf(lastError) ?? accessRefusalOf(error);
    if (refusal)
      throw new AccessDeniedError(
        'redis',
        refusal,
        `Redis at ${where} refused the connection's credential (${reason}): check the user and password (see docs/access-control.md)`,
      );
    throw new ConnectionError(
      'redis',
      `could not connect to Redis at ${where}: ${reason} (redisConnectTimeoutMs=${limits.connectTimeoutMs})`,
    );
  }
}

function isClient(spec: RedisSpec): spec is Redis | Cluster {
  return (
    spec instanceof Redis ||
    spec instanceof Cluster ||
    (typeof spec === 'object' && spec !== null && typeof (spec as { sendCommand?: unknown }).sendCommand === 'function')
  );
}

// Caller-chosen deadlines win over our defaults when they set them explicitly.
function pick(spec: RedisOptions): Partial<RedisOptions> {
  const out: Partial<RedisOptions> = {};
  if (spec.commandTimeout !== undefined) out.commandTimeout = spec.commandTimeout;
  if (spec.connectTimeout !== undefined) out.connectTimeout = spec.connectTimeout;
  if (spec.maxRetriesPerRequest !== undefined) out.maxRetriesPerRequest = spec.maxRetriesPerRequest;
  if (spec.enableAutoPipelining !== undefined) out.enableAutoPipelining = spec.enableAutoPipelining;
  return out;
}
