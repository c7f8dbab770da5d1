import { MAX_TIMER_MS } from '../core/deadline.js';
import {
  assertOptionsObject,
  describeValue,
  type OptionNamer,
  optionNamer,
  rejectUnknownKeys,
  wholeNumber,
} from '../core/option-checks.js';
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

/** Defaults of {@link ZooKeeperConnectionOptions}: the one owner of these values. */
export const CONNECTION_DEFAULTS = Object.freeze({
  sessionTimeoutMs: 10_000,
  connectTimeoutMs: 5_000,
  acl: 'open' as ZooKeeperAclSpec,
  readableByAnyone: true,
});

/**
 * Bounds of the durations. A session timeout is also every request's deadline and an Int32 on the
 * wire; 10 minutes is far above what a server grants (maxSessionTimeout defaults to 20 ticks, 40 s).
 * The connect bound is a plain timer, so it stops where timers do.
 */
export const CONNECTION_LIMITS = Object.freeze({
  sessionTimeoutMs: { min: 100, max: 600_000, unit: 'ms' },
  connectTimeoutMs: { min: 1, max: MAX_TIMER_MS, unit: 'ms', maxNote: 'about 24.8 days' },
});

const KNOWN_KEYS: readonly (keyof ZooKeeperConnectionOptions)[] = [
  'connectString',
  'sessionTimeoutMs',
  'connectTimeoutMs',
  'auth',
  'acl',
  'readableByAnyone',
];

/**
 * Applies defaults and rejects bad options before anything connects. `name` maps each key to the
 * name the caller wrote (the cache passes `zookeeper.`-prefixed names).
 * @throws InvalidOptionsError naming the option, its limit and the value's type.
 */
export function parseConnectionOptions(
  options: ZooKeeperConnectionOptions,
  name: OptionNamer = optionNamer(),
): ParsedConnectionOptions {
  // name('') is the group's prefix: 'zookeeper.' under the cache, '' when called directly
  assertOptionsObject(options, name('').replace(/\.$/, '') || 'ZooKeeper options');
  rejectUnknownKeys(options, KNOWN_KEYS, name);
  const { connectString } = options;
  assertValidConnectString(connectString, name('connectString'));
  const sessionTimeoutMs = wholeNumber(
    options.sessionTimeoutMs,
    name('sessionTimeoutMs'),
    CONNECTION_LIMITS.sessionTimeoutMs,
    CONNECTION_DEFAULTS.sessionTimeoutMs,
  );
  const connectTimeoutMs = wholeNumber(
    options.connectTimeoutMs,
    name('connectTimeoutMs'),
    CONNECTION_LIMITS.connectTimeoutMs,
    CONNECTION_DEFAULTS.connectTimeoutMs,
  );
  const auth = options.auth ?? [];
  if (!Array.isArray(auth))
    throw new InvalidOptionsError(
      `${name('auth')} must be an array of { scheme: "digest", credentials: "user:pass" }, got ${describeValue(auth)}`,
    );
  auth.forEach((entry, i) => {
    if (entry?.scheme !== 'digest') throw new InvalidOptionsError(`${name('auth')}[${i}].scheme must be "digest"`);
    // never describe the value: it is a credential
    if (typeof entry.credentials !== 'string' || !/^[^:]+:/.test(entry.credentials)) {
      throw new InvalidOptionsError(`${name('auth')}[${i}].credentials must be a "user:password" string`);
    }
  });
  const readableByAnyone = options.readableByAnyone ?? CONNECTION_DEFAULTS.readableByAnyone;
  if (typeof readableByAnyone !== 'boolean') {
    throw new InvalidOptionsError(
      `${name('readableByAnyone')} must be a boolean, got ${describeValue(readableByAnyone)}`,
    );
  }
  const acl = resolveAcl(options.acl ?? CONNECTION_DEFAULTS.acl, readableByAnyone, auth.length, name);
  return { connectString, sessionTimeoutMs, connectTimeoutMs, auth: auth.map((a) => ({ ...a })), acl };
}
