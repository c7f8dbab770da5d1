import { sleep } from '../../src/core/deadline.js';
import { type RowVersionSource, type VerifyReport, verifyConsistency } from '../../src/verify/index.js';
import type { ServingReader } from '../../src/verify/verify-consistency.js';

/** Sums of the reports of a continuous verification, and how often it had to start over. */
export interface ContinuousVerify {
  /** Keys handed to the comparer so far (progress only; the report counts what was compared). */
  readonly keysIssued: number;
  /** Stops after the keys in flight and the pending re-checks; resolves with the summed reports. */
  stop(): Promise<{ reports: VerifyReport[]; restarts: string[] }>;
}

/**
 * Compares every key of `keys()` (the keys touched so far), pass after pass in a fresh random
 * order, until stopped: one long verifyConsistency call, so a stale key is re-checked when its
 * window ends without pausing the passes. An error (not expected: no faults hit this stack) ends
 * that call and a new one starts; the error is kept for the report.
 */
export function startContinuousVerify(context: {
  cache: ServingReader;
  rows: RowVersionSource;
  keys: () => readonly string[];
  windowMs: number;
  /** Keys per second at most, so the workload in the same process keeps its share of the CPU. */
  rate: number;
}): ContinuousVerify {
  let stopping = false;
  let keysIssued = 0;
  const reports: VerifyReport[] = [];
  const restarts: string[] = [];
  const started = performance.now();
  async function* passes(): AsyncGenerator<string> {
    while (!stopping) {
      const order = shuffled(context.keys());
      for (const key of order) {
        if (stopping) return;
        keysIssued++;
        if (keysIssued % 50 === 0) await sleep(keysIssued * (1000 / context.rate) - (performance.now() - started));
        yield key;
      }
    }
  }
  const running = (async () => {
    while (!stopping) {
      try {
        reports.push(
          await verifyConsistency({
            cache: context.cache,
            rows: context.rows,
            keys: passes(),
            windowMs: context.windowMs,
          }),
        );
      } catch (error) {
        restarts.push(error instanceof Error ? `${error.name}: ${error.message}` : String(error));
        await sleep(1_000);
      }
    }
  })();
  return {
    get keysIssued() {
      return keysIssued;
    },
    async stop() {
      stopping = true;
      await running;
      return { reports, restarts };
    },
  };
}

function shuffled(items: readonly string[]): string[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [out[i], out[j]] = [out[j] as string, out[i] as string];
  }
  return out;
}
