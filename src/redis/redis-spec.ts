import { InvalidOptionsError } from '../errors.js';

/** A cluster seed parsed from a URL: where to connect and the credentials of the first seed. */
export interface RedisSeed {
  host: string;
  port: number;
  username: string | undefined;
  password: string | undefined;
}

const REDIS_SCHEME = /^rediss?:$/;

/**
 * Checks the shape of the `redis` option before anything connects: a non-empty URL string, a
 * non-empty list of URL strings, an options object, or a client (recognised by the caller).
 * Throws {@link InvalidOptionsError} naming the type it got; never echoes a URL (it may hold a password).
 */
export function assertRedisSpecShape(spec: unknown): void {
  if (typeof spec === 'string') {
    if (spec.trim() === '') throw new InvalidOptionsError('redis must not be an empty string');
    // ioredis also takes a socket path or host:port; only what claims to be a URL is parsed here.
    if (spec.includes('://')) parseRedisUrl(spec, 'redis');
    return;
  }
  if (Array.isArray(spec)) {
    if (spec.length === 0) throw new InvalidOptionsError('redis must not be an empty list of cluster seed URLs');
    spec.forEach((url: unknown, i) => {
      if (typeof url !== 'string')
        throw new InvalidOptionsError(`redis[${i}] must be a URL string, got ${typeOf(url)}`);
      parseRedisUrl(url, `redis[${i}]`);
    });
    return;
  }
  if (typeof spec === 'object' && spec !== null) return;
  throw new InvalidOptionsError(
    `redis must be a URL, a list of cluster URLs, ioredis options, or an ioredis Redis/Cluster instance, got ${typeOf(spec)}`,
  );
}

/**
 * Parses one `redis://` / `rediss://` URL. A malformed one is an {@link InvalidOptionsError}
 * naming `where` and what is wrong, never the URL: WHATWG's TypeError would carry it whole
 * (password included) as `input`.
 */
export function parseRedisUrl(url: string, where: string): RedisSeed {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new InvalidOptionsError(
      `${where} is not a valid URL (expected redis://[user:password@]host:port; the URL is not shown because it may hold a password)`,
    );
  }
  if (!REDIS_SCHEME.test(parsed.protocol))
    throw new InvalidOptionsError(`${where} must use the redis:// or rediss:// scheme, got ${parsed.protocol}//`);
  if (parsed.hostname === '') throw new InvalidOptionsError(`${where} has no host`);
  let username: string;
  let password: string;
  try {
    username = decodeURIComponent(parsed.username);
    password = decodeURIComponent(parsed.password);
  } catch {
    throw new InvalidOptionsError(`${where} has a malformed %-escape in its user or password`);
  }
  return {
    host: parsed.hostname,
    port: Number(parsed.port || 6379),
    username: username || undefined,
    password: password || undefined,
  };
}

function typeOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  switch (typeof value) {
    case 'number':
    case 'boolean':
    case 'bigint':
      return `${typeof value} ${String(value)}`;
    default:
      return typeof value;
  }
}
