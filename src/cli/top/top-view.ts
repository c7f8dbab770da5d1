import { quantileBetween, type Sample, sum } from './prometheus-text.js';

/** What `zkoc top` shows for one interval between two scrapes of a process's metrics. */
export interface TopFrame {
  intervalS: number;
  requestsPerS: number;
  hitRatio: number | undefined;
  byResult: Record<'hit' | 'negative' | 'miss' | 'grace', number>;
  writesPerS: Record<'written' | 'stale' | 'duplicate', number>;
  loadsPerS: number;
  loaderErrorsPerS: number;
  lockWaitP50Ms: number | undefined;
  lockWaitP99Ms: number | undefined;
  locksHeld: number;
  lockLost: number;
  session: string;
  followerLagMs: number | undefined;
}

/** Rates and quantiles over the interval between `before` and `after` (scraped `intervalS` apart). */
export function topFrame(
  before: readonly Sample[],
  after: readonly Sample[],
  intervalS: number,
  prefix = 'zkoc_',
): TopFrame {
  const rate = (name: string, match: Record<string, string> = {}) =>
    Math.max(0, sum(after, `${prefix}${name}`, match) - sum(before, `${prefix}${name}`, match)) / intervalS;
  const byResult = {
    hit: rate('cache_requests_total', { result: 'hit' }),
    negative: rate('cache_requests_total', { result: 'negative' }),
    miss: rate('cache_requests_total', { result: 'miss' }),
    grace: rate('cache_requests_total', { result: 'grace' }),
  };
  const requestsPerS = byResult.hit + byResult.negative + byResult.miss + byResult.grace;
  const ms = (s: number | undefined) => (s === undefined ? undefined : s * 1000);
  const session =
    after.find((s) => s.name === `${prefix}zookeeper_session_state` && s.value === 1)?.labels.state ?? '?';
  const lag = after.find((s) => s.name === `${prefix}follower_lag_seconds`);
  return {
    intervalS,
    requestsPerS,
    hitRatio: requestsPerS > 0 ? (byResult.hit + byResult.negative) / requestsPerS : undefined,
    byResult,
    writesPerS: {
      written: rate('cache_writes_total', { status: 'written' }),
      stale: rate('cache_writes_total', { status: 'stale' }),
      duplicate: rate('cache_writes_total', { status: 'duplicate' }),
    },
    loadsPerS: rate('loader_runs_total'),
    loaderErrorsPerS: rate('loader_errors_total'),
    lockWaitP50Ms: ms(quantileBetween(before, after, `${prefix}lock_wait_seconds`, 0.5)),
    lockWaitP99Ms: ms(quantileBetween(before, after, `${prefix}lock_wait_seconds`, 0.99)),
    locksHeld: sum(after, `${prefix}locks_held`),
    lockLost: sum(after, `${prefix}lock_lost_total`),
    session,
    followerLagMs: lag === undefined ? undefined : lag.value * 1000,
  };
}

/** The frame as the lines `zkoc top` prints. */
export function renderTop(frame: TopFrame, source: string, at: Date): string[] {
  const n = (x: number) => (x >= 100 ? Math.round(x).toLocaleString('en-US') : x.toFixed(1));
  const msText = (x: number | undefined) => (x === undefined ? '-' : `${x.toFixed(1)} ms`);
  return [
    `zkoc top  ${source}  ${at.toISOString()}  (every ${frame.intervalS}s, Ctrl-C quits)`,
    '',
    `reads/s     ${n(frame.requestsPerS)}   hit ratio ${frame.hitRatio === undefined ? '-' : `${(frame.hitRatio * 100).toFixed(1)}%`}   (hit ${n(frame.byResult.hit)}, negative ${n(frame.byResult.negative)}, miss ${n(frame.byResult.miss)}, grace ${n(frame.byResult.grace)})`,
    `writes/s    written ${n(frame.writesPerS.written)}   stale ${n(frame.writesPerS.stale)}   duplicate ${n(frame.writesPerS.duplicate)}`,
    `loads/s     ${n(frame.loadsPerS)}   loader errors/s ${n(frame.loaderErrorsPerS)}`,
    `lock wait   p50 ${msText(frame.lockWaitP50Ms)}   p99 ${msText(frame.lockWaitP99Ms)}   held now ${frame.locksHeld}   lost (total) ${frame.lockLost}`,
    `zookeeper   ${frame.session}`,
    `follower    ${frame.followerLagMs === undefined ? 'not running in this process' : `lag ${msText(frame.followerLagMs)}`}`,
  ];
}
