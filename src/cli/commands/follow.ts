import { Command, InvalidArgumentError, Option } from 'commander';
import { startFollower } from '../../postgres/index.js';
import { type CliEnvironment, defineAction } from '../action.js';
import { openCache } from '../clients.js';
import { addConnectionOptions } from '../connection-options.js';
import type { CliLifetime } from '../lifetime.js';

/**
 * `zkoc follow --database-url … --table 'products=product:{id}'`: runs the change-stream follower
 * (startFollower) as a daemon until SIGINT/SIGTERM, then finishes the batch in flight, confirms
 * it and exits 0. Run one per host: one is active, the others stand by. One line per event on
 * stderr (NDJSON on stdout with --json).
 */
export function createFollowCommand(env: CliEnvironment): Command {
  const command = addConnectionOptions(
    new Command('follow')
      .description(
        "follow PostgreSQL's change stream: every committed row change of a mapped table invalidates its keys, in order",
      )
      .addOption(
        new Option('--table <table=template>', "map a table's rows to a key, e.g. 'products=product:{id}' (repeatable)")
          .argParser(collectTable)
          .makeOptionMandatory(),
      )
      .addOption(new Option('--slot <name>', 'replication slot (created if missing); default zkoc_<namespace>'))
      .addOption(
        new Option(
          '--session-timeout-ms <ms>',
          'ZooKeeper session timeout: how soon a standby takes over a dead follower',
        )
          .default(10_000)
          .argParser(positiveInteger),
      ),
    { database: true },
  ).addHelpText(
    'after',
    `
Example:
  $ zkoc follow --database-url postgres://… -n products --slot zkoc_products \\
      --table 'products=product:{id}' --table 'variants=product:{product_id}'
The role needs REPLICATION and wal_level must be logical; each table needs ensureVersionColumn(db,
{ table, replicaIdentityFull: true }). Tables whose templates can render one key (as above) must share
one version sequence, or follow refuses to start: ensureVersionColumn(db, { table: 'variants',
sequence: 'public.products_cache_version_seq', replicaIdentityFull: true }).
SIGINT/SIGTERM: finish the batch, confirm, exit 0.`,
  );
  return defineAction(command, env, async ({ options, connection, out }) => {
    if (!connection.databaseUrl) throw new InvalidArgumentError('--database-url (or DATABASE_URL) is required');
    const tables = options.table as Map<string, string[]>;
    const print = (event: string, data: Record<string, unknown>, text: string): void => {
      if (out.json) out.write(`${JSON.stringify({ at: new Date().toISOString(), event, ...data }, bigintAsString)}\n`);
      else out.diagnostic(`${new Date().toISOString()}  ${text}`);
    };
    const label = `zkoc-follow:${process.pid}`;
    // --timeout-ms as given (no timeoutLimits cap) and the session of --session-timeout-ms.
    const cache = await openCache(
      connection,
      { timerMs: connection.timeoutMs, sessionTimeoutMs: Number(options.sessionTimeoutMs) },
      label,
    );
    try {
      const follower = await startFollower({
        database: connection.databaseUrl,
        cache,
        tables: Object.fromEntries(tables), // templates: a TRUNCATE can find the table's keys
        ...(options.slot === undefined ? {} : { slot: String(options.slot) }),
        label,
      });
      const events = follower.events;
      events.on('active', (e) => print('active', e, `active: streaming slot ${e.slot}`));
      events.on('inactive', (e) => print('inactive', { slot: e.slot, reason: e.reason }, `inactive (${e.reason})`));
      events.on('batch', (b) =>
        print(
          'batch',
          { ...b },
          `batch: ${b.changes} changes, ${b.written} written, ${b.duplicate + b.stale} already newer, lag ${Math.round(b.lagMs)} ms, confirmed ${b.confirmedLsn}`,
        ),
      );
      events.on('retry', (r) =>
        print(
          'retry',
          { attempt: r.attempt, delayMs: r.delayMs, error: String(r.error) },
          `retry ${r.attempt} in ${r.delayMs} ms: ${String(r.error)}`,
        ),
      );
      events.on('truncate', (t) =>
        print(
          'truncate',
          { ...t, level: 'warning' },
          `WARNING: TRUNCATE of ${t.tables.join(', ')} left its cached keys untouched (${t.reason}): ` +
            (t.reason === 'no-truncate-trigger'
              ? 're-run ensureVersionColumn on the table to add the truncate trigger, '
              : '') +
            `and invalidate its keys now (zkoc scan --prefix …, zkoc invalidate) or they serve deleted rows until their TTL`,
        ),
      );
      events.on('truncated', (t) =>
        print(
          'truncated',
          { ...t },
          `TRUNCATE of ${t.table}: ${t.keys} cached keys tombstoned at version ${t.version}`,
        ),
      );
      events.on('error', (e) => {
        const detail =
          e.kind === 'row'
            ? { table: e.problem.table, primaryKey: e.problem.primaryKey, error: String(e.problem.error) }
            : { error: String(e.error) };
        print('error', { kind: e.kind, ...detail }, `error (${e.kind}): ${JSON.stringify(detail, bigintAsString)}`);
      });
      print(
        'started',
        { slot: follower.slot },
        `following slot ${follower.slot} for namespace ${connection.namespace}; standing by until elected`,
      );
      await untilSignal(env.lifetime);
      await follower.close();
      print(
        'stopped',
        { changesApplied: follower.changesApplied },
        `stopped: ${follower.changesApplied} changes applied`,
      );
    } finally {
      await cache.close();
    }
  });
}

// While following, a signal stops the follower gracefully: the batch in flight must be confirmed
// before exiting (a second signal exits at once).
function untilSignal(lifetime: CliLifetime): Promise<void> {
  return new Promise<void>((resolve) => {
    const unregister = lifetime.gracefully(() => {
      unregister();
      resolve();
    });
  });
}

// 'products=product:{id}' → the table and a key template (checked by startFollower); repeated flags accumulate.
function collectTable(value: string, previous: Map<string, string[]> | undefined): Map<string, string[]> {
  const at = value.indexOf('=');
  const table = value.slice(0, at).trim();
  const template = value.slice(at + 1);
  if (at <= 0 || template.length === 0 || !/\{[^{}]+\}/.test(template))
    throw new InvalidArgumentError(`--table must be 'table=key template with {column}', got ${JSON.stringify(value)}`);
  const map = previous ?? new Map<string, string[]>();
  map.set(table, [...(map.get(table) ?? []), template]);
  return map;
}

function positiveInteger(value: string): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 1)
    throw new InvalidArgumentError(`must be a positive integer, got ${JSON.stringify(value)}`);
  return n;
}

function bigintAsString(_key: string, value: unknown): unknown {
  return typeof value === 'bigint' ? value.toString() : value;
}
