import { Command, InvalidArgumentError, Option } from 'commander';
import pg from 'pg';
import { InvalidOptionsError } from '../../errors.js';
import { parseDurationMs } from '../../testing/race/parse-duration.js';
import {
  describeNines,
  type RowVersionSource,
  rowVersionFromQuery,
  rowVersionFromTable,
  type VerifyReport,
  verifyConsistency,
} from '../../verify/index.js';
import { type CliEnvironment, defineAction } from '../action.js';
import { prefixOption } from '../arguments.js';
import { openStore } from '../clients.js';
import { addConnectionOptions } from '../connection-options.js';
import { ExitCode } from '../exit-codes.js';
import type { Output } from '../output.js';
import { formatDuration } from '../render/duration.js';
import { renderTable } from '../render/table.js';
import { printable } from '../render/text.js';
import { sampleKeys } from '../verify/sample-keys.js';
import { watchConsistency } from '../verify/watch-consistency.js';

/**
 * `zkoc verify`: is the cache right? Samples keys of a namespace, reads each row's version, and
 * classifies every key; exits 1 on a violation. Reads PostgreSQL and Redis only: no lock, no write.
 */
export function createVerifyCommand(env: CliEnvironment): Command {
  const command = addConnectionOptions(
    new Command('verify')
      .description('compare cached versions with the database: consistency in nines, every violation listed')
      .addOption(
        new Option('--table <mapping>', 'table and key template, as zkoc follow takes it: "products=product:{id}"'),
      )
      .addOption(
        new Option('--query <sql>', "statement returning the version column for the key's fields as $1, $2, …"),
      )
      .addOption(new Option('--key <template>', 'key template for --query, e.g. "product:{id}"'))
      .addOption(new Option('--version-column <name>', 'the version column').default('cache_version'))
      .addOption(
        new Option('--sample <n>', 'keys to compare, picked at random from SCAN').default(1000).argParser(parseCount),
      )
      .addOption(new Option('--all', 'compare every key SCAN finds (up to --limit)').default(false))
      .addOption(new Option('--limit <n>', 'most keys SCAN reads').default(100_000).argParser(parseCount))
      .addOption(prefixOption())
      .addOption(new Option('--window <duration>', 'how long a change may take to reach the cache').default('5s'))
      .addOption(new Option('--watch', 'keep sampling (Ctrl-C stops) and print the running figure').default(false))
      .addOption(
        new Option('--rate <keys/s>', 'with --watch: comparisons per second at most')
          .default(200)
          .argParser(parseCount),
      )
      .addOption(
        new Option(
          '--metrics-port <port>',
          'with --watch: serve the figure as Prometheus metrics on this port',
        ).argParser(parseCount),
      ),
    { database: true },
  ).addHelpText(
    'after',
    `
A key is consistent when the cache serves the row's version, absent when it serves nothing, stale
within the window when it was behind but caught up within --window, and a violation when it is
still behind after the window, ahead of the database, or not our entry. A key whose first look or
re-check fails (a Redis or database error) is unverified: listed, left out of the nines, exit 1;
the run goes on with the other keys.

Examples:
  $ zkoc verify -n products --database-url $DATABASE_URL --table 'products=product:{id}'
  $ zkoc verify -n products --query 'SELECT cache_version FROM products WHERE id = $1' --key 'product:{id}' --all
  $ zkoc verify -n products --table 'products=product:{id}' --watch --metrics-port 9465`,
  );
  return defineAction(command, env, async ({ connection, options, out, env: cliEnv }) => {
    if (!connection.databaseUrl) throw new InvalidOptionsError('zkoc verify needs --database-url (or DATABASE_URL)');
    const windowMs = parseDurationMs(String(options.window), '--window');
    const pool = new pg.Pool({
      connectionString: connection.databaseUrl,
      max: 8,
      connectionTimeoutMillis: connection.timeoutMs,
    });
    pool.on('error', () => undefined); // an idle client's error surfaces on the next query
    try {
      const rows = await rowSource(pool, options);
      await using opened = await openStore(connection);
      if (options.watch === true) {
        return await watchConsistency({ store: opened.store, rows, windowMs, options, out, env: cliEnv, connection });
      }
      const keys = await sampleKeys(opened.store, {
        prefix: String(options.prefix ?? ''),
        limit: Number(options.limit),
        sample: options.all === true ? undefined : Number(options.sample),
      });
      const report = await verifyConsistency({ cache: opened.store, rows, keys, windowMs });
      printReport(out, report, { namespace: connection.namespace, source: rows.description });
      // An unverified key is a server that failed the re-check: not a clean bill either.
      return report.violations.length > 0 || report.unverified.length > 0 ? ExitCode.runtime : ExitCode.ok;
    } finally {
      await pool.end();
    }
  });
}

async function rowSource(pool: pg.Pool, options: Record<string, unknown>): Promise<RowVersionSource> {
  const versionColumn = String(options.versionColumn);
  if (options.table !== undefined) {
    if (options.query !== undefined) throw new InvalidOptionsError('give --table or --query with --key, not both');
    return rowVersionFromTable(pool, String(options.table), { versionColumn });
  }
  if (options.query === undefined || options.key === undefined) {
    throw new InvalidOptionsError('zkoc verify needs --table "table=key template", or --query with --key');
  }
  return rowVersionFromQuery(pool, { query: String(options.query), key: String(options.key), versionColumn });
}

/** Prints a report: the counts, the figure, and every violation (all of it as one document under --json). */
export function printReport(out: Output, report: VerifyReport, context: { namespace: string; source: string }): void {
  if (out.json) {
    out.document({ namespace: context.namespace, mapping: context.source, ...report });
    return;
  }
  out.line(
    `verified namespace ${context.namespace} against ${printable(context.source)} (window ${formatDuration(report.windowMs)})`,
  );
  printLines(
    out,
    renderTable(
      ['RESULT', 'KEYS'],
      [
        ['consistent', String(report.consistent)],
        ['stale, caught up within the window', String(report.staleWithinWindow)],
        ['absent (nothing cached)', String(report.absent)],
        ["not of the mapping's shape (skipped)", String(report.unmatched)],
        ["not of the key columns' types (skipped)", String(report.mistyped)],
        ['unverified: a look failed', String(report.unverified.length)],
        ['violations', String(report.violations.length)],
      ],
    ),
  );
  out.line(`consistency within ${formatDuration(report.windowMs)}: ${describeNines(report.nines)}`);
  if (report.unverified.length > 0) {
    out.line('');
    printLines(
      out,
      renderTable(
        ['KEY', 'RESULT', 'LOOK', 'DATABASE', 'AGE', 'ERROR'],
        report.unverified.map((u) => [
          printable(u.key),
          'unverified',
          u.look,
          u.look === 'first' ? '-' : u.databaseVersion === undefined ? 'no row' : String(u.databaseVersion),
          formatDuration(u.ageMs),
          printable(u.error),
        ]),
      ),
    );
  }
  if (report.violations.length === 0) return;
  out.line('');
  printLines(
    out,
    renderTable(
      ['KEY', 'VIOLATION', 'CACHE', 'DATABASE', 'AGE'],
      report.violations.map((v) => [
        printable(v.key),
        v.kind,
        v.cache === undefined ? '-' : `${v.cache.kind} at ${v.cache.version}`,
        v.databaseVersion === undefined ? 'no row' : String(v.databaseVersion),
        formatDuration(v.ageMs),
      ]),
    ),
  );
}

function printLines(out: Output, lines: readonly string[]): void {
  for (const line of lines) out.line(line);
}

function parseCount(text: string): number {
  const n = Number(text);
  if (!/^\d+$/.test(text.trim()) || !Number.isSafeInteger(n) || n <= 0) {
    throw new InvalidArgumentError(`must be a positive whole number, got ${JSON.stringify(text)}`);
  }
  return n;
}
