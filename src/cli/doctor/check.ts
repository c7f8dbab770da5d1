import { withDeadline as raceDeadline } from '../../core/deadline.js';
import { formatDuration } from '../render/duration.js';

/** Outcome of one doctor check: `fail` makes `zkoc doctor` exit 1; `warn` does not. */
export type CheckStatus = 'ok' | 'warn' | 'fail' | 'skip';

/** One line of `zkoc doctor`. */
export interface CheckResult {
  server: 'zookeeper' | 'redis' | 'postgres';
  check: string;
  status: CheckStatus;
  /** What was seen, in words, naming the server address (password masked by the output). */
  detail: string;
  /** Round trip of the probe, when one was measured. */
  latencyMs?: number;
}

/** Clock skew (server minus this host) above which a check warns, and above which it fails. */
export const SKEW_WARN_MS = 250;
export const SKEW_FAIL_MS = 5_000;

/**
 * Resolves like `promise`, or rejects with a message naming `what` and the limit once
 * `timeoutMs` passes: a paused server is silent, so every probe needs its own deadline. The race
 * itself is core/deadline.ts's, so a limit past a timer's reach never fires early.
 */
export function withDeadline<T>(promise: Promise<T>, timeoutMs: number, what: string): Promise<T> {
  return raceDeadline(
    promise,
    timeoutMs,
    () => new Error(`${what}: no answer within ${formatDuration(timeoutMs)} (--timeout-ms=${timeoutMs})`),
  );
}

/**
 * Judges the difference between a server's clock and ours. `serverMs` was read between
 * `beforeMs` and `afterMs` (local clock), so the skew is known to within half the round trip.
 */
export function judgeSkew(
  server: CheckResult['server'],
  serverMs: number,
  beforeMs: number,
  afterMs: number,
): CheckResult {
  const skewMs = serverMs - (beforeMs + afterMs) / 2;
  const uncertaintyMs = (afterMs - beforeMs) / 2;
  const abs = Math.max(0, Math.abs(skewMs) - uncertaintyMs);
  const direction = skewMs >= 0 ? 'ahead of' : 'behind';
  const status: CheckStatus = abs > SKEW_FAIL_MS ? 'fail' : abs > SKEW_WARN_MS ? 'warn' : 'ok';
  const detail = `${server} clock is ${formatDuration(Math.abs(skewMs))} ${direction} this host (±${formatDuration(uncertaintyMs)})`;
  return { server, check: 'clock skew', status, detail };
}

/** The message of anything thrown, for a check's detail. */
export function reason(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
