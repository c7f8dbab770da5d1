import { Redis } from 'ioredis';
import { timeoutLimits } from '../connection-options.js';
import { formatDuration } from '../render/duration.js';
import { type CheckResult, judgeSkew, reason, withDeadline } from './check.js';

/** What the script check looks for: the compare script's SHA1 and a name for it. */
export interface ScriptToCheck {
  name: string;
  sha: string;
}

/**
 * Checks the first Redis seed: PING latency, version and mode (INFO server), the user in effect
 * (ACL WHOAMI), whether each store script is cached (SCRIPT EXISTS), and clock skew (TIME).
 * Every probe is bounded by `timeoutMs`; once the server fails to answer, the rest are skipped.
 */
export async function checkRedis(
  url: string,
  scripts: readonly ScriptToCheck[],
  timeoutMs: number,
): Promise<CheckResult[]> {
  const seed = url.split(',')[0]!.trim();
  const address = seed;
  const redis = new Redis(seed, {
    lazyConnect: true,
    connectTimeout: timeoutLimits(timeoutMs).timerMs,
    commandTimeout: timeoutLimits(timeoutMs).timerMs,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null, // a probe reports the failure; it does not reconnect
    enableReadyCheck: false,
    disconnectTimeout: 100, // end() waits this long for a paused server before destroying the socket
  });
  redis.on('error', () => undefined); // failures surface through the commands below
  const results: CheckResult[] = [];
  const bounded = <T>(what: string, promise: Promise<T>): Promise<T> =>
    withDeadline(promise, timeoutMs, `redis at ${address}: ${what}`);
  try {
    try {
      await bounded('connect', redis.connect());
      const started = performance.now();
      await bounded('PING', redis.ping());
      const latencyMs = performance.now() - started;
      results.push({
        server: 'redis',
        check: 'reachable',
        status: 'ok',
        latencyMs,
        detail: `${address} answered PING in ${formatDuration(latencyMs)}`,
      });
    } catch (error) {
      results.push({ server: 'redis', check: 'reachable', status: 'fail', detail: prefixed(address, error) });
      for (const check of ['version', 'auth', 'script', 'clock skew']) {
        results.push({ server: 'redis', check, status: 'skip', detail: 'skipped: redis not reachable' });
      }
      return results;
    }
    results.push(
      await probe('version', async () => {
        const info = await bounded('INFO server', redis.info('server'));
        const version = /redis_version:(\S+)/.exec(info)?.[1] ?? 'unknown';
        const mode = /redis_mode:(\S+)/.exec(info)?.[1] ?? 'unknown';
        return { status: 'ok', detail: `Redis ${version}, mode ${mode}` };
      }),
    );
    results.push(
      await probe('auth', async () => {
        const user = String(await bounded('ACL WHOAMI', redis.call('ACL', 'WHOAMI')));
        const withPassword = /^[a-z]+:\/\/[^/@]*:[^/@]*@/i.test(seed);
        return {
          status: 'ok',
          detail: withPassword ? `password given; acting as user ${user}` : `no password given; acting as user ${user}`,
        };
      }),
    );
    results.push(
      await probe('script', async () => {
        if (scripts.length === 0) return { status: 'skip', detail: 'no store script known to this build' };
        const exists = (await bounded(
          'SCRIPT EXISTS',
          redis.script('EXISTS', ...scripts.map((s) => s.sha)),
        )) as number[];
        const missing = scripts.filter((_, i) => exists[i] !== 1);
        if (missing.length === 0)
          return {
            status: 'ok',
            detail: `loaded: ${scripts.map((s) => `${s.name} ${s.sha.slice(0, 12)}`).join(', ')}`,
          };
        // Not an error: the store sends EVAL on NOSCRIPT, which caches it.
        return {
          status: 'warn',
          detail: `not cached yet (loaded on first write): ${missing.map((s) => `${s.name} ${s.sha.slice(0, 12)}`).join(', ')}`,
        };
      }),
    );
    try {
      const beforeMs = Date.now();
      const [seconds, micros] = (await bounded('TIME', redis.time())) as [string | number, string | number];
      const afterMs = Date.now();
      results.push(judgeSkew('redis', Number(seconds) * 1_000 + Number(micros) / 1_000, beforeMs, afterMs));
    } catch (error) {
      results.push({ server: 'redis', check: 'clock skew', status: 'fail', detail: prefixed(address, error) });
    }
    return results;
  } finally {
    redis.disconnect(); // never QUIT: a paused server would not answer it
  }

  async function probe(
    check: string,
    run: () => Promise<{ status: CheckResult['status']; detail: string }>,
  ): Promise<CheckResult> {
    try {
      return { server: 'redis', check, ...(await run()) };
    } catch (error) {
      return { server: 'redis', check, status: 'fail', detail: prefixed(address, error) };
    }
  }
}

function prefixed(address: string, error: unknown): string {
  const message = reason(error);
  return message.startsWith('redis at ') ? message : `redis at ${address}: ${message}`;
}
