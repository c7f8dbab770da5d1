import { InvalidOptionsError } from '../errors.js';
import { resolveAcl, type ZooKeeperAclSpec } from './acl.js';
import type { RawAcl } from './client-module.js';
import { assertValidConnectString } from './connect-string.js';

/** One `addAuthInfo` credential, sent on every (re)connect. */
export interface ZooKeeperAuth {
  /** Only `digest` is supported by the wire client. */
  scheme: 'digest';
  /** `user:password`; never included in any message or error. */
  credentials: string;
}

/** Options of {@link ZooKeeperConnection.connect}. */
export interface ZooKeeperConnectionOptions {
  /** `host:port[,host:port…][/chroot]`. */
  connectString: string;
  /**
   * Session timeout asked of the server (it may clamp it to its min/max). Also the deadline of every
   * request and the silence after which the session is presumed lost.
   * @default 10_000
   */
  sessionTimeoutMs?: number;
  /**
   * Bound on opening a session (first connect and every replacement session).
   * @default 5_000
   */
  connectTimeoutMs?: number;
  /** Credentials added before connecting. @default [] */
  auth?: ZooKeeperAuth[];
  /**
   * ACL of every znode created through this connection (lock root, missing ancestors, per-key
   * parents, contender nodes). Existing znodes keep theirs. `creator` needs `auth`.
   * @default 'open'
   */
  acl?: ZooKeeperAclSpec;
  /**
   * Adds world READ to `acl`, so tools without the credential (`zkoc locks`, monitoring) can list
   * holders and waiters; they still cannot create or delete. Ignored with `acl: 'open'`.
   * @default true
   */
  readableByAnyone?: boolean;
}

/** Options after defaults and validation. */
export interface ParsedConnectionOptions {
  connectString: string;
  sessionTimeoutMs: number;
  connectTimeoutMs: number;
  auth: readonly ZooKeeperAuth[];
  /** The resolved ACL, as node-zookeeper-client objects. */
  acl: readonly RawAcl[];
}

/** Defaults of {@link ZooKeeperConnectionOptions}. */
export const CONNECTION_DEFAULTS = Object.freeze({ sessionTimeoutMs: 10_000, connectTimeoutMs: 5_000 });

/**
 * Applies defaults and rejects bad options.
 * @throws InvalidOptionsError naming the option and its limit.
 */
export function parseConnectionOptions(options: ZooKeeperConnectionOptions): ParsedConnectionOptions {
  if (typeof options !== 'object' || options === null)
    throw new InvalidOptionsError('ZooKeeper options must be an object');
  const { connectString } = options;
  assertValidConnectString(connectString);
  const sessionTimeoutMs = positiveInt(
    'sessionTimeoutMs',
    options.sessionTimeoutMs ?? CONNECTION_DEFAULTS.sessionTimeoutMs,
    100,
    600_000,
  );
  const connectTimeoutMs = positiveInt(
    'connectTimeoutMs',
    options.connectTimeoutMs ?? CONNECTION_DEFAULTS.connectTimeoutMs,
    1,
    600_000,
  );
  const auth = options.auth ?? [];
  if (!Array.isArray(auth))
    throw new InvalidOptionsError('auth must be an array of { scheme: "digest", credentials: "user:pass" }');
  auth.forEach((entry, i) => {
    if (entry?.scheme !== 'digest') throw new InvalidOptionsError(`auth[${i}].scheme must be "digest"`);
    if (typeof entry.credentials !== 'string' || !/^[^:]+:/.test(entry.credentials)) {
      throw new InvalidOptionsError(`auth[${i}].credentials must be a "user:password" string`);
    }
  });
  if (options.readableByAnyone !== undefined && typeof options.readableByAnyone !== 'boolean') {
    throw new InvalidOptionsError('readableByAnyone must be a boolean');
  }
  const acl = resolveAcl(options.acl ?? 'open', options.readableByAnyone ?? true, auth.length);
  return { connectString, sessionTimeoutMs, connectTimeoutMs, auth: auth.map((a) => ({ ...a })), acl };
}

function positiveInt(name: string, value: unknown, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new InvalidOptionsError(`${name} must be an integer from ${min} to ${max}, got ${String(value)}`);
  }
  return value;
}
