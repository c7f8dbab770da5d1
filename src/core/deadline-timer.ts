/** The longest delay `setTimeout` honours (about 24.8 days). Node fires a longer one after 1 ms. */
export const MAX_TIMER_MS = 2_147_483_647;

/**
 * `setTimeout` for a caller-given deadline. A deadline beyond what a timer can wait (including
 * `Infinity`) gets no timer at all, so it never fires: left to Node, it would fire at once.
 */
export function deadlineTimer(ms: number, onExpired: () => void): NodeJS.Timeout | undefined {
  return ms <= MAX_TIMER_MS ? setTimeout(onExpired, ms) : undefined;
}
