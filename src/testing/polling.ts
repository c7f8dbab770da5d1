/** Resolves after `ms` milliseconds (for polling intervals only, never as synchronisation). */
export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Polls `probe` every `intervalMs` until it resolves `true`, or `deadline` (epoch ms) passes.
 * Probe errors count as "not yet" and the last one is returned for the failure message.
 * Resolves `{ ok: true }` or `{ ok: false, lastError }`; never throws.
 */
export async function pollUntil(
  probe: () => Promise<boolean>,
  options: { deadline: number; intervalMs?: number; stopEarly?: () => boolean },
): Promise<{ ok: true } | { ok: false; lastError: unknown }> {
  let lastError: unknown;
  for (;;) {
    try {
      if (await probe()) return { ok: true };
    } catch (error) {
      lastError = error;
    }
    if (options.stopEarly?.() || Date.now() >= options.deadline) return { ok: false, lastError };
    await delay(options.intervalMs ?? 50);
  }
}
