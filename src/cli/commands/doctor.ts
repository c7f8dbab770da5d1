import { Command } from 'commander';
import { type CliEnvironment, defineAction } from '../action.js';
import { addConnectionOptions, zookeeperAccess } from '../connection-options.js';
import type { CheckResult } from '../doctor/check.js';
import { checkPostgres } from '../doctor/postgres-checks.js';
import { checkRedis } from '../doctor/redis-checks.js';
import { storeScripts } from '../doctor/store-scripts.js';
import { checkZooKeeper } from '../doctor/zookeeper-checks.js';
import { ExitCode } from '../exit-codes.js';
import { renderTable } from '../render/table.js';

/** `zkoc doctor`: one line per check of each server; exit 1 when any check fails. */
export function createDoctorCommand(env: CliEnvironment): Command {
  const command = addConnectionOptions(
    new Command('doctor').description(
      'check each server: reachable, version, latency, script loaded, auth/ACL in effect, clock skew (each probe bounded by --timeout-ms)',
    ),
    { database: true },
  ).addHelpText(
    'after',
    `
Example:
  $ zkoc doctor --redis redis://:secret@cache-1:6379 --database-url postgres://app@db-1/shop --timeout-ms 2000
Exit status: 0 when every check is ok or warn, 1 when any check fails.`,
  );
  return defineAction(command, env, async ({ connection, out }) => {
    const timeoutMs = connection.timeoutMs;
    const [zk, redis, postgres] = await Promise.all([
      checkZooKeeper(connection.zk, connection.namespace, timeoutMs, zookeeperAccess(connection).auth),
      checkRedis(connection.redis, storeScripts(), timeoutMs),
      checkPostgres(connection.databaseUrl, timeoutMs),
    ]);
    const checks: CheckResult[] = [
      ...withSkipRows('zookeeper', zk, ['reachable', 'version', 'session', 'acl']),
      ...redis,
      ...withSkipRows('postgres', postgres, ['reachable', 'version', 'auth', 'clock skew']),
    ];
    const failed = checks.filter((c) => c.status === 'fail');
    const warned = checks.filter((c) => c.status === 'warn');
    if (out.json) {
      out.document({
        ok: failed.length === 0,
        namespace: connection.namespace,
        checks: checks.map((c) => ({ ...c, latencyMs: c.latencyMs === undefined ? undefined : round(c.latencyMs) })),
      });
    } else {
      out.line(`zkoc doctor — namespace ${connection.namespace}`);
      for (const line of renderTable(
        ['status', 'server', 'check', 'detail'],
        checks.map((c) => [statusLabel(c.status), c.server, c.check, c.detail]),
      ))
        out.line(line);
      out.line();
      if (failed.length > 0)
        out.line(
          `${failed.length} check${failed.length === 1 ? '' : 's'} FAILED: ${failed.map((c) => `${c.server} ${c.check}`).join(', ')}`,
        );
      else
        out.line(
          `all checks passed${warned.length > 0 ? ` (${warned.length} warning${warned.length === 1 ? '' : 's'})` : ''}`,
        );
    }
    return failed.length > 0 ? ExitCode.runtime : ExitCode.ok;
  });
}

/**
 * After a failed check, a SKIP row for each check of that server that did not run, so every
 * server's table reads the same whichever check failed (the Redis checks already do this).
 */
function withSkipRows(
  server: CheckResult['server'],
  results: CheckResult[],
  expected: readonly string[],
): CheckResult[] {
  const failed = results.find((c) => c.status === 'fail');
  if (!failed) return results;
  const ran = new Set(results.map((c) => c.check));
  const why = failed.check === 'reachable' ? `${server} not reachable` : `${server} ${failed.check} failed`;
  const skipped = expected
    .filter((check) => !ran.has(check))
    .map((check): CheckResult => ({ server, check, status: 'skip', detail: `skipped: ${why}` }));
  const order = (c: CheckResult): number => expected.indexOf(c.check);
  return [...results, ...skipped].sort((a, b) => order(a) - order(b));
}

function statusLabel(status: CheckResult['status']): string {
  return status === 'ok' ? 'ok' : status.toUpperCase();
}

function round(ms: number): number {
  return Math.round(ms * 100) / 100;
}
