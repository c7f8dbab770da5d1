import { Cluster, Redis, type RedisOptions } from 'ioredis';
import { redactText, redactUrl, urlPasswords } from '../core/redact.js';
import { AccessDeniedError, ConnectionError } from '../errors.js';
import { assertRedisSpecShape, parseRedisUrl } from '../redis/redis-spec.js';
import { accessRefusalOf, redisSecretsOf } from '../redis/transport-failure.js';

/** What `OrderedCache.connect` accepts as `redis`. */
export type RedisSpec = string | string[] | RedisOptions | Redis | Cluster;

export interface OpenedRedis {
  client: Redis | Cluster;
  /** True when we created the client (and so must close it). */
  owned: boolean;
}

/**
 * Returns a connected ioredis client for `spec`. Connections we create carry a per-command deadline
 * (a paused Redis must fail a call, not hang it) and are bounded on connect.
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
    commandTimeout: limits.commandTimeoutMs,
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
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      client.connect(),
      new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`not ready within ${limits.connectTimeoutMs} ms`)),
          limits.connectTimeoutMs,
        );
      }),
    ]);
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
  } finally {
    clearTimeout(timer);
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
  return out;
}
