import type { ChaosReport } from '../chaos.js';
import type { RaceWorker } from './race-worker.js';
import {
  type CacheObservation,
  type DatabaseRow,
  describeEnd,
  freshnessOf,
  type IterationOutcome,
} from './scenarios/scenario.js';
import { type FailureShape, failureLabel } from './transient.js';
import type { RaceCell, RaceChaosReport, StrategyCounts } from './types.js';

const CHAOS_TOPOLOGY = 'ZooKeeper ensemble of 3 (fsync off), one Redis, one PostgreSQL';

/**
 * An iteration that failed because a server stayed unavailable past the retries: availability was
 * lost, which is allowed; it is FORBIDDEN only if it left the cache unequal to the database.
 */
export async function judgeUnavailable(
  failure: FailureShape,
  observe: () => Promise<CacheObservation>,
  readDatabase: () => Promise<DatabaseRow>,
): Promise<IterationOutcome> {
  const [cache, row] = await Promise.all([observe(), readDatabase()]);
  const label = failureLabel(failure);
  if (freshnessOf(cache, row) === 'older') {
    return {
      state: `unavailable (${label}), then ${describeEnd(cache, row)}`,
      expectation: 'FORBIDDEN',
      interpretation: 'a server was unavailable and the iteration left the cache unequal to the database',
      operations: 0,
    };
  }
  return {
    state: `unavailable (${label})`,
    expectation: 'ACCEPTABLE',
    interpretation: 'a server stayed unavailable past the retries: the operation failed, the cache is not stale',
    operations: 0,
  };
}

/** The chaos part of a race report: every fault, counts, retries and unavailable iterations. */
export function chaosSummary(
  report: ChaosReport,
  intervalMs: number,
  raceStartedAt: number,
  unavailableByStrategy: StrategyCounts,
  cells: readonly RaceCell[],
): RaceChaosReport {
  const retries: Record<string, number> = {};
  for (const cell of cells)
    for (const [cause, n] of Object.entries(cell.retries ?? {})) retries[cause] = (retries[cause] ?? 0) + n;
  return {
    seed: report.seed,
    intervalMs,
    topology: CHAOS_TOPOLOGY,
    faults: report.events.map((e) => {
      const target = e.fault.split(':')[0];
      return {
        kind: e.fault,
        server: target === 'postgres' ? `postgres :${e.port}` : `${target}[${e.serverIndex}] :${e.port}`,
        at: new Date(e.startedAt).toISOString(),
        offsetMs: e.startedAt - raceStartedAt,
        durationMs: e.durationMs,
        healMs: e.healMs,
        ...(e.error ? { error: e.error } : {}),
      };
    }),
    counts: report.counts,
    unavailableByStrategy,
    retries,
  };
}

/** What the workers report (and reset) on `stats`, summed: retries by cause, latencies, loads. */
export interface WorkerStats {
  retries: Record<string, number>;
  reads: number[];
  writes: number[];
  loads: number;
}

/** Sums (and resets) the workers' retry counts by cause and their cost bookkeeping. */
export async function collectStats(workers: readonly RaceWorker[]): Promise<WorkerStats> {
  const sum: WorkerStats = { retries: {}, reads: [], writes: [], loads: 0 };
  for (const worker of workers) {
    const stats = await worker.call<Partial<WorkerStats>>({ op: 'stats' }, 10_000);
    for (const [cause, n] of Object.entries(stats.retries ?? {})) sum.retries[cause] = (sum.retries[cause] ?? 0) + n;
    sum.reads.push(...(stats.reads ?? []));
    sum.writes.push(...(stats.writes ?? []));
    sum.loads += stats.loads ?? 0;
  }
  return sum;
}
