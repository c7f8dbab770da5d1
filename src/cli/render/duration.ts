/**
 * Formats a non-negative duration for people: `0.4ms`, `350ms`, `1.2s`, `42s`, `3m04s`, `2h05m`, `3d04h`.
 * Negative input is formatted by magnitude; callers say "ago" or "overdue" themselves.
 */
export function formatDuration(ms: number): string {
  const abs = Math.abs(ms);
  if (!Number.isFinite(abs)) return '∞';
  if (abs < 10) return `${Math.round(abs * 10) / 10}ms`;
  if (abs < 1_000) return `${Math.round(abs)}ms`;
  if (abs < 10_000) return `${(Math.floor(abs / 100) / 10).toFixed(1)}s`;
  const totalSeconds = Math.floor(abs / 1_000);
  if (totalSeconds < 60) return `${totalSeconds}s`;
  const totalMinutes = Math.floor(totalSeconds / 60);
  if (totalMinutes < 60) return `${totalMinutes}m${pad2(totalSeconds % 60)}s`;
  const totalHours = Math.floor(totalMinutes / 60);
  if (totalHours < 24) return `${totalHours}h${pad2(totalMinutes % 60)}m`;
  return `${Math.floor(totalHours / 24)}d${pad2(totalHours % 24)}h`;
}

/** "in 3m04s" for a future instant, "3m04s ago" for a past one, relative to `nowMs`. */
export function formatRemaining(untilMs: number, nowMs: number): string {
  const left = untilMs - nowMs;
  return left >= 0 ? formatDuration(left) : `expired ${formatDuration(left)} ago`;
}

function pad2(n: number): string {
  return String(n).padStart(2, '0');
}
