import { fileURLToPath } from 'node:url';
import type { Measured } from './measure.js';
import { startWorkerPool } from './worker-pool.js';

/** What a lock worker needs to start (passed as its one argument, JSON). */
export interface LockWorkerSetup {
  connectString: string;
  bareParent: string;
  oursRoot: string;
  key: string;
}

/** The commands of a lock worker, over the line protocol (src/testing/worker/line-protocol.ts). */
export type LockWorkerCommand = { op: 'round'; side: 'floor' | 'ours'; durationMs: number } | { op: 'stop' };
/** The result of a `round`. */
export interface LockWorkerRound {
  latenciesMs: number[];
}

/** Worker processes contending for one key, driven round by round from the benchmark. */
export interface LockWorkers {
  /** All workers cycle on `side` for `durationMs`; throughput is every worker's cycles over the round's time. */
  round(side: 'floor' | 'ours', durationMs: number): Promise<Measured>;
  stop(): Promise<void>;
}

const WORKER = fileURLToPath(new URL('./lock-worker.js', import.meta.url));
/** A round's reply may lag its duration by the last cycle and a slow lock handoff. */
const ROUND_SLACK_MS = 60_000;

/** Starts `count` workers (each connects a bare client and a LockManager) and waits until all are ready. */
export async function startLockWorkers(count: number, setup: LockWorkerSetup): Promise<LockWorkers> {
  const { workers, stop } = await startWorkerPool(WORKER, count, setup, {
    name: 'lock worker',
    readyTimeoutMs: 30_000,
  });
  return {
    async round(side, durationMs) {
      const started = performance.now();
      const done = await Promise.all(
        workers.map((w) =>
          w.call<LockWorkerRound>(
            'round',
            { side, durationMs } satisfies Omit<Extract<LockWorkerCommand, { op: 'round' }>, 'op'>,
            durationMs + ROUND_SLACK_MS,
          ),
        ),
      );
      const latenciesMs = done.flatMap((reply) => reply.latenciesMs);
      return { opsPerSec: latenciesMs.length / ((performance.now() - started) / 1000), latenciesMs };
    },
    stop,
  };
}
