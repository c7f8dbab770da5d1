/**
 * The one owner of "a promise against a deadline". Every caller-given limit (lock, connect,
 * probe, grace period) goes through here, so a limit beyond what a timer can wait never fires
 * early: left to Node, `setTimeout(fn, 2 ** 31)` fires after 1 ms.
 */

/** The longest delay `setTimeout` honours (about 24.8 days). */
export const MAX_TIMER_MS = 2_147_483_647;

/**
 * `setTimeout` for a caller-given deadline. A deadline beyond what a timer can wait (including
 * `Infinity`) gets no timer at all, so it never fires.
 */
export function deadlineTimer(ms: number, onExpired: () => void): NodeJS.Timeout | undefined {
  return ms <= MAX_TIMER_MS ? setTimeout(onExpired, Math.max(0, ms)) : undefined;
}

/**
 * Resolves or rejects like `work`, or rejects with `onExpired()` once `ms` passes, whichever is
 * first. The timer is cleared either way; a later rejection of the losing `work` is swallowed
 * (nobody waits for it any more).
 */
export function withDeadline<T>(work: Promise<T>, ms: number, onExpired: () => Error): Promise<T> {
  work.catch(() => undefined);
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = deadlineTimer(ms, () => reject(onExpired()));
  });
  return Promise.race([work, deadline]).finally(() => clearTimeout(timer));
}

/**
 * Waits for `work` at most `ms`: resolves `true` when it settled in time (whatever its outcome),
 * `false` when the grace period ran out first. Never rejects. For "give it a moment, then move on".
 */
export function settlesWithin(work: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const graceOver = new Promise<boolean>((resolve) => {
    timer = deadlineTimer(ms, () => resolve(false));
  });
  const settled = work.then(
    () => true,
    () => true,
  );
  return Promise.race([settled, graceOver]).finally(() => clearTimeout(timer));
}

/** Resolves after `ms` (never, past a timer's reach), or rejects with the signal's reason when it aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = deadlineTimer(ms, () => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    });
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
