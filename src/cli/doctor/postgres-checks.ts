import pg from 'pg';
import { timeoutLimits } from '../connection-options.js';
import { formatDuration } from '../render/duration.js';
import { type CheckResult, judgeSkew, reason, withDeadline } from './check.js';
import { checkReplication } from './replication-checks.js';

/**
 * Checks PostgreSQL: connects (bounded), measures a `SELECT 1` round trip, reads the version and
 * the role in effect, and the clock skew (`clock_timestamp()`, not `now()`, which is the
 * transaction's start). Without a URL every check is `skip`.
 */
export async function checkPostgres(url: string | undefined, timeoutMs: number): Promise<CheckResult[]> {
  if (!url)
    return [
      {
        server: 'postgres',
        check: 'reachable',
        status: 'skip',
        detail: 'skipped: no --database-url (or DATABASE_URL)',
      },
    ];
  const client = new pg.Client({
    connectionString: url,
    // pg arms timers with these, and PostgreSQL takes statement_timeout up to 2^31-1 ms only
    connectionTimeoutMillis: timeoutLimits(timeoutMs).timerMs,
    query_timeout: timeoutLimits(timeoutMs).timerMs,
    statement_timeout: timeoutLimits(timeoutMs).timerMs,
  });
  client.on('error', () => undefined);
  const address = url;
  const bounded = <T>(what: string, promise: Promise<T>): Promise<T> =>
    withDeadline(promise, timeoutMs, `postgres at ${address}: ${what}`);
  const results: CheckResult[] = [];
  try {
    try {
      await bounded('connect', client.connect());
      const started = performance.now();
      await bounded('SELECT 1', client.query('SELECT 1'));
      const latencyMs = performance.now() - started;
      results.push({
        server: 'postgres',
        check: 'reachable',
        status: 'ok',
        latencyMs,
        detail: `${address} answered SELECT 1 in ${formatDuration(latencyMs)}`,
      });
    } catch (error) {
      results.push({ server: 'postgres', check: 'reachable', status: 'fail', detail: prefixed(address, error) });
      return results;
    }
    try {
      const beforeMs = Date.now();
      const { rows } = await bounded(
        'SELECT version()',
        client.query<{ version: string; role: string; now_ms: string }>(
          `SELECT current_setting('server_version') AS version, current_user AS role,
                  (extract(epoch FROM clock_timestamp()) * 1000)::float8::text AS now_ms`,
        ),
      );
      const afterMs = Date.now();
      const row = rows[0]!;
      results.push({ server: 'postgres', check: 'version', status: 'ok', detail: `PostgreSQL ${row.version}` });
      results.push({ server: 'postgres', check: 'auth', status: 'ok', detail: `connected as role ${row.role}` });
      results.push(judgeSkew('postgres', Number(row.now_ms), beforeMs, afterMs));
    } catch (error) {
      results.push({ server: 'postgres', check: 'version', status: 'fail', detail: prefixed(address, error) });
    }
    try {
      results.push(...(await checkReplication(client, bounded)));
    } catch (error) {
      results.push({ server: 'postgres', check: 'replication', status: 'fail', detail: prefixed(address, error) });
    }
    return results;
  } finally {
    // end() waits for the server's goodbye; a paused server never sends it.
    void withDeadline(client.end(), 500, 'postgres end').catch(() =>
      (client as unknown as { connection?: { stream?: { destroy(): void } } }).connection?.stream?.destroy(),
    );
  }
}

function prefixed(address: string, error: unknown): string {
  const message = reason(error);
  return message.startsWith('postgres at ') ? message : `postgres at ${address}: ${message}`;
}
