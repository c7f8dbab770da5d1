import { type Command, InvalidArgumentError, Option } from 'commander';
import { MAX_TIMER_MS } from '../core/deadline.js';
import { assertValidNamespace } from '../core/namespace.js';
import type { ZooKeeperConnectionOptions } from '../zookeeper/connection-options.js';
import { CONNECTION_LIMITS as ZOOKEEPER_LIMITS } from '../zookeeper/connection-options.js';

/** The connection settings every command resolves from flags, then env, then defaults. */
export interface ConnectionOptions {
  /** ZooKeeper connect string. Flag `--zk`, env `ZKOC_ZK`. @default '127.0.0.1:2181' */
  zk: string;
  /** Redis URL (or comma-separated cluster seed URLs). Flag `--redis`, env `ZKOC_REDIS`. @default 'redis://127.0.0.1:6379' */
  redis: string;
  /** Namespace that scopes Redis keys and lock paths. Flag `--namespace`, env `ZKOC_NAMESPACE`. @default 'default' */
  namespace: string;
  /**
   * Bound on connecting and on each request, in ms: a whole number in {@link TIMEOUT_MS_RANGE}. Flag
   * `--timeout-ms`, env `ZKOC_TIMEOUT_MS`. Clients get it through {@link timeoutLimits}. @default 5000
   */
  timeoutMs: number;
  /** `--json`: print one JSON document to stdout. */
  json: boolean;
  /** PostgreSQL URL, only on commands that need PostgreSQL. Flag `--database-url`, env `DATABASE_URL`. */
  databaseUrl?: string;
  /**
   * ZooKeeper digest credential `user:password`. Flag `--zk-auth`, env `ZKOC_ZK_AUTH`. When set, zkoc
   * authenticates with it and creates its znodes with the `creator` ACL (world-readable), like a
   * cache connected with `acl: 'creator'`. Never printed.
   */
  zkAuth?: string;
}

/** Defaults of {@link ConnectionOptions}. */
export const CONNECTION_DEFAULTS = Object.freeze({
  zk: '127.0.0.1:2181',
  redis: 'redis://127.0.0.1:6379',
  namespace: 'default',
  timeoutMs: 5_000,
});

/**
 * The one range of `--timeout-ms` (and `ZKOC_TIMEOUT_MS`), checked here once. Every value in it works:
 * each client gets a limit derived by {@link timeoutLimits}, within what that client accepts.
 */
export const TIMEOUT_MS_RANGE = Object.freeze({ min: 1, max: Number.MAX_SAFE_INTEGER });

/** What one `--timeout-ms` becomes for each kind of bound. */
export interface TimeoutLimits {
  /** Our own deadline races (core/deadline.ts): `--timeout-ms` itself; past 2^31−1 ms they never fire. */
  deadlineMs: number;
  /**
   * Timers a client arms itself (ioredis, pg, the ZooKeeper connect, the cache's lock wait):
   * `--timeout-ms` capped at 2^31−1 ms (about 24.8 days), the longest a Node timer waits.
   */
  timerMs: number;
  /**
   * The ZooKeeper session asked for: twice `--timeout-ms`, so that a slow reply within the bound is
   * not taken for a lost session; at least 4 s, at most the 10 minutes a connection accepts.
   */
  sessionTimeoutMs: number;
}

/** Derives every client's limit from one `--timeout-ms` in {@link TIMEOUT_MS_RANGE}. */
export function timeoutLimits(timeoutMs: number): TimeoutLimits {
  const session = ZOOKEEPER_LIMITS.sessionTimeoutMs;
  return {
    deadlineMs: timeoutMs,
    timerMs: Math.min(timeoutMs, MAX_TIMER_MS),
    sessionTimeoutMs: Math.min(session.max, Math.max(4_000, 2 * timeoutMs)),
  };
}

/** Adds the shared connection flags (and `--json`) to `command`; `database` adds `--database-url`. */
export function addConnectionOptions(command: Command, { database = false }: { database?: boolean } = {}): Command {
  command
    .addOption(
      new Option('--zk <connectString>', 'ZooKeeper connect string').env('ZKOC_ZK').default(CONNECTION_DEFAULTS.zk),
    )
    .addOption(
      new Option('--redis <url>', 'Redis URL (comma-separated seeds for a cluster)')
        .env('ZKOC_REDIS')
        .default(CONNECTION_DEFAULTS.redis),
    )
    .addOption(
      new Option('-n, --namespace <name>', 'namespace of keys and locks')
        .env('ZKOC_NAMESPACE')
        .default(CONNECTION_DEFAULTS.namespace),
    )
    .addOption(
      new Option(
        '--timeout-ms <ms>',
        `bound on connecting and on each request, ${TIMEOUT_MS_RANGE.min} to ${TIMEOUT_MS_RANGE.max} ms (a client's own timers stop at ${MAX_TIMER_MS}, about 24.8 days)`,
      )
        .env('ZKOC_TIMEOUT_MS')
        .default(CONNECTION_DEFAULTS.timeoutMs)
        .argParser(parseTimeoutMs),
    )
    .addOption(new Option('--json', 'print one JSON document to stdout (timestamps as strings)').default(false));
  command.addOption(
    new Option('--zk-auth <user:password>', 'ZooKeeper digest credential (locks get the creator ACL)').env(ZK_AUTH_ENV),
  );
  if (database) command.addOption(new Option('--database-url <url>', 'PostgreSQL URL').env('DATABASE_URL'));
  return command;
}

/** Reads the resolved connection options from a command whose flags came from {@link addConnectionOptions}. */
export function connectionOptionsOf(command: Command): ConnectionOptions {
  const opts = command.opts<{
    zk: string;
    redis: string;
    namespace: string;
    timeoutMs: number | string;
    json: boolean;
    databaseUrl?: string;
    zkAuth?: string;
  }>();
  assertValidNamespace(opts.namespace, '--namespace');
  const timeoutMs = typeof opts.timeoutMs === 'number' ? opts.timeoutMs : parseTimeoutMs(opts.timeoutMs);
  const resolved: ConnectionOptions = {
    zk: opts.zk,
    redis: opts.redis,
    namespace: opts.namespace,
    timeoutMs,
    json: opts.json === true,
  };
  if (opts.databaseUrl) resolved.databaseUrl = opts.databaseUrl;
  if (opts.zkAuth !== undefined) {
    // the message must not echo the value: it may be a mistyped password
    if (!/^[^:]+:./s.test(opts.zkAuth))
      throw new InvalidArgumentError('--zk-auth must be "user:password" (value not shown)');
    resolved.zkAuth = opts.zkAuth;
  }
  return resolved;
}

/** Env var of `--zk-auth`. */
export const ZK_AUTH_ENV = 'ZKOC_ZK_AUTH';

/**
 * ZooKeeper auth and ACL options for `connection`: with `--zk-auth`, the digest credential and the
 * `creator` ACL (world-readable); without, nothing (open ACL, no auth).
 */
export function zookeeperAccess(connection: ConnectionOptions): Pick<ZooKeeperConnectionOptions, 'auth' | 'acl'> {
  if (connection.zkAuth === undefined) return {};
  return { auth: [{ scheme: 'digest', credentials: connection.zkAuth }], acl: 'creator' };
}

/**
 * Every `--zk-auth` credential in `argv` and `env` (whole and password part), for the CLI's
 * Redactor: unlike URL passwords they have no pattern to be recognised by.
 */
export function zkAuthSecrets(argv: readonly string[], env: NodeJS.ProcessEnv): string[] {
  const values: string[] = [];
  argv.forEach((arg, i) => {
    if (arg === '--zk-auth' && argv[i + 1] !== undefined) values.push(argv[i + 1]!);
    else if (arg.startsWith('--zk-auth=')) values.push(arg.slice('--zk-auth='.length));
  });
  const fromEnv = env[ZK_AUTH_ENV];
  if (fromEnv) values.push(fromEnv);
  return values.flatMap((value) => {
    const colon = value.indexOf(':');
    return colon > 0 ? [value, value.slice(colon + 1)] : [value];
  });
}

function parseTimeoutMs(text: string): number {
  const n = Number(text);
  if (!/^[0-9]+$/.test(text) || !Number.isSafeInteger(n) || n < TIMEOUT_MS_RANGE.min || n > TIMEOUT_MS_RANGE.max) {
    // commander turns InvalidArgumentError into a usage error (exit 2)
    throw new InvalidArgumentError(
      `--timeout-ms must be a whole number of milliseconds from ${TIMEOUT_MS_RANGE.min} to ${TIMEOUT_MS_RANGE.max}, got ${JSON.stringify(text)}`,
    );
  }
  return n;
}
