import { oneLine } from '../interleavings.js';
import type { RaceStrategy } from '../types.js';
import { INITIAL_PRICE, type IterationOutcome, type RaceScenario } from './scenario.js';

export interface StampedeResult {
  loads: number;
  values: string[];
  /** Reads retried after a transient failure (chaos runs only): each may load again. */
  retries?: number;
}

/**
 * Every worker process issues `stampedeConcurrency` reads of one cold key at once (each after a
 * small random delay; the loader takes 5–15 ms). The outcome is the number of loader runs.
 */
export const stampede: RaceScenario = {
  name: 'stampede',
  description: 'P processes × C concurrent reads of a cold key; the outcome is the number of loader runs (expected 1)',
  defaultIterations: 20,
  pausesWorkers: false,
  async run(ctx) {
    const { strategy, key, rowId, random, stampedeConcurrency: concurrency } = ctx;
    const loadDelayMs = random.delayMs(5, 15);
    const results = await Promise.all(
      ctx.workers.map((worker) =>
        worker.call<StampedeResult>({
          op: 'stampede',
          strategy,
          key,
          rowId,
          concurrency,
          startDelaysMs: Array.from({ length: concurrency }, () => random.delayMs(0, 3)),
          loadDelayMs,
        }),
      ),
    );
    return judgeStampede(results, concurrency * ctx.workers.length, strategy);
  },
};

/** Classifies a stampede: how many loader runs served `operations` cold reads. */
export function judgeStampede(
  results: readonly StampedeResult[],
  operations: number,
  strategy: RaceStrategy,
): IterationOutcome {
  const loads = results.reduce((sum, r) => sum + r.loads, 0);
  const values = new Set(results.flatMap((r) => r.values));
  if (values.size !== 1 || !values.has(INITIAL_PRICE)) {
    return {
      state: `a read returned ${[...values].join(', ')}`,
      expectation: 'FORBIDDEN',
      interpretation: 'a reader got a value the database never had',
      operations,
    };
  }
  if (loads === 1)
    return {
      state: '1 load',
      expectation: 'ACCEPTABLE',
      interpretation: `one loader run served all ${operations} reads`,
      operations,
    };
  const retries = results.reduce((sum, r) => sum + (r.retries ?? 0), 0);
  if (loads > 1 && retries > 0) {
    // Under chaos: a read that failed (lock lost, server down) and was retried loads again.
    return {
      state: `${loadBucket(loads, operations)} after retried failures`,
      expectation: 'ACCEPTABLE',
      interpretation: `a fault made ${retries} reads fail and retry; each retry may load again`,
      operations,
    };
  }
  return {
    state: loadBucket(loads, operations),
    expectation: 'FORBIDDEN',
    interpretation:
      loads === 0
        ? 'no loader ran for a cold key'
        : `stampede: ${loads} of ${operations} cold reads went to the database; ${oneLine('stampede', strategy)}`,
    operations,
  };
}

/** Groups load counts so a long soak's table stays short: 0, 2, 3, 4–9, 10–(n−1), n (every read). */
function loadBucket(loads: number, reads: number): string {
  if (loads === reads) return `${loads} loads (every read)`;
  if (loads <= 3) return `${loads} loads`;
  if (loads <= 9) return '4–9 loads';
  return `10–${reads - 1} loads`;
}
