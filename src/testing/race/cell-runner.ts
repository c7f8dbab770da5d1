import type pg from 'pg';
import { collectStats, judgeUnavailable } from './chaos-report.js';
import type { CostMeter } from './cost-meter.js';
import { SeededRandom } from './prng.js';
import { iterationsOf, lanesOf, type RaceSettings } from './race-options.js';
import { type RaceWorker, RaceWorkerError } from './race-worker.js';
import { forcedScript } from './scenarios/forced.js';
import type { RaceScenario } from './scenarios/index.js';
import {
  type CacheObservation,
  type DatabaseRow,
  INITIAL_PRICE,
  type IterationContext,
  type IterationOutcome,
} from './scenarios/scenario.js';
import { isTransientFailure } from './transient.js';
import type {
  ObservedOutcome,
  RaceCell,
  RaceOptions,
  RaceScenarioName,
  RaceStrategy,
  StrategyCounts,
} from './types.js';

/** A run stops (throws) after this many consecutive iterations that failed with an error. */
const MAX_CONSECUTIVE_ERRORS = 3;

/** What one cell (a scenario under a strategy) needs from the run. */
export interface CellEnv {
  settings: RaceSettings;
  options: Pick<RaceOptions, 'signal' | 'onProgress'>;
  workers: readonly RaceWorker[];
  random: SeededRandom;
  pool: pg.Pool;
  /** A fresh row id for each iteration (unique across the run). */
  nextRowId(): number;
  /** Reads the cache as the strategy's readers would (inside a quiet window under chaos). */
  observe(strategy: RaceStrategy, key: string): Promise<CacheObservation>;
  readDatabase(rowId: number): Promise<DatabaseRow>;
  /** Under chaos: runs `step` in a window with no fault active. */
  quiet?: <T>(step: () => Promise<T>) => Promise<T>;
  /** Under chaos: ends the end-state read's hold (see run-race). */
  releaseKept(): void;
  /** Counts server requests per iteration (absent under chaos). */
  meter?: CostMeter;
  /** Run-wide progress, updated in place. */
  progress: { started: number; iterationsDone: number; forbidden: number; planned: number; cellCount: number };
  unavailable: StrategyCounts;
}

/** The cache key of the iteration on row `rowId` (each iteration has a row of its own). */
export function iterationKey(scenario: RaceScenarioName, strategy: RaceStrategy, rowId: number): string {
  return `${scenario}:${strategy}:${rowId}`;
}

/** A write that bypasses the cache: plain SQL (the trigger bumps the version); under chaos, in a quiet window. */
async function commitPlain(env: IterationEnv, rowId: number, price: string): Promise<bigint> {
  const update = () =>
    env.pool.query<{ v: string }>(
      `UPDATE ${env.settings.table} SET price = $2 WHERE id = $1 RETURNING cache_version::text AS v`,
      [rowId, price],
    );
  const { rows } = await (env.quiet ? env.quiet(update) : update());
  return BigInt(rows[0]!.v);
}

/**
 * Runs one scenario under one strategy, iteration after iteration (a count, or a time budget),
 * each on a fresh row and key, and tallies the end states. A scenario that runs in lanes runs
 * that many iterations at a time, each lane on its own group of `settings.workers` workers with
 * its own PRNG (forked from the run's, so a seed still fixes every lane's delays); its requests
 * are then not counted (the iterations overlap on the servers).
 * @throws RaceWorkerError when three iterations in a row fail with an error that is not transient.
 */
export async function runCell(env: CellEnv, scenario: RaceScenario, strategy: RaceStrategy): Promise<RaceCell> {
  const { settings, options, workers, progress } = env;
  const cellStart = performance.now();
  const budgetMs = settings.durationMs === undefined ? undefined : settings.durationMs / progress.cellCount;
  const lanes = lanesOf(settings, scenario);
  const tally = new Map<string, ObservedOutcome>();
  let begun = 0;
  let iterations = 0;
  let operations = 0;
  let forbidden = 0;
  let consecutiveErrors = 0;
  let failed = false; // a lane gave up: the others stop too
  const more = () =>
    !failed &&
    !options.signal?.aborted &&
    (budgetMs === undefined
      ? begun < iterationsOf(settings, scenario)
      : begun === 0 || performance.now() - cellStart < budgetMs);
  if (env.meter) await collectStats(workers); // start the cell's bookkeeping from zero
  const meter = lanes === 1 ? env.meter : undefined;
  const forced = settings.forced ? forcedScript(scenario.name, strategy) : undefined;
  const run = forced ?? ((ctx: IterationContext) => scenario.run(ctx));
  const lane = async (laneWorkers: readonly RaceWorker[], random: SeededRandom): Promise<void> => {
    while (more()) {
      const iteration = begun++;
      const outcome = await runIteration({ ...env, workers: laneWorkers, random, meter }, scenario, strategy, {
        iteration,
        run,
        succeeded: () => {
          consecutiveErrors = 0;
        },
        failed: (error) => {
          consecutiveErrors += 1;
          if (consecutiveErrors < MAX_CONSECUTIVE_ERRORS) return;
          failed = true;
          throw error;
        },
      });
      iterations += 1;
      progress.iterationsDone += 1;
      operations += outcome.operations;
      if (outcome.expectation === 'FORBIDDEN') {
        forbidden += 1;
        progress.forbidden += 1;
      }
      const seen = tally.get(outcome.state);
      if (seen) seen.occurrences += 1;
      else
        tally.set(outcome.state, {
          state: outcome.state,
          occurrences: 1,
          expectation: outcome.expectation,
          interpretation: outcome.interpretation,
        });
      options.onProgress?.({
        scenario: scenario.name,
        strategy,
        iterationsDone: progress.iterationsDone,
        forbidden: progress.forbidden,
        fraction:
          settings.durationMs === undefined
            ? progress.iterationsDone / progress.planned
            : Math.min(1, (performance.now() - progress.started) / settings.durationMs),
      });
    }
  };
  if (lanes === 1) await lane(workers, env.random);
  else {
    const size = settings.workers;
    // Forked in lane order before any lane starts: the same seed gives every lane the same delays.
    const randoms = Array.from({ length: lanes }, () => new SeededRandom(Math.floor(env.random.next() * 2 ** 32)));
    const settled = await Promise.allSettled(
      randoms.map((random, i) => lane(workers.slice(i * size, (i + 1) * size), random)),
    );
    const failure = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
    if (failure) throw failure.reason;
  }
  const stats = await collectStats(workers);
  return {
    scenario: scenario.name,
    strategy,
    ...(forced ? { forced: true } : {}),
    ...(lanes > 1 ? { lanes } : {}),
    iterations,
    operations,
    forbidden,
    durationMs: Math.round(performance.now() - cellStart),
    outcomes: [...tally.values()].sort((a, b) => b.occurrences - a.occurrences),
    ...(env.meter ? { costs: env.meter.costs(stats, operations, meter !== undefined) } : {}),
    ...(env.quiet ? { retries: stats.retries } : {}),
  };
}

/** What one iteration of a cell runs with: its lane's workers and PRNG, and the meter (absent in lanes). */
type IterationEnv = Omit<CellEnv, 'meter'> & { meter: CostMeter | undefined };

/**
 * Runs one iteration on a fresh row and key and classifies its end state. An iteration that fails
 * with an error is a FORBIDDEN `error: …` outcome (after `failed`, which may throw to stop the
 * run); under chaos a transient failure is judged by the end state instead.
 */
async function runIteration(
  env: IterationEnv,
  scenario: RaceScenario,
  strategy: RaceStrategy,
  step: {
    iteration: number;
    run: (ctx: IterationContext) => Promise<IterationOutcome>;
    succeeded(): void;
    failed(error: unknown): void;
  },
): Promise<IterationOutcome> {
  const { settings, workers } = env;
  const rowId = env.nextRowId();
  // Under chaos the row is set up in a quiet window too, then the held window opens: a pending fault lands while the workers race.
  const insert = () =>
    env.pool.query(
      `INSERT INTO ${settings.table} (id, price) VALUES ($1, $2) ON CONFLICT (id) DO UPDATE SET price = EXCLUDED.price`,
      [rowId, INITIAL_PRICE],
    );
  await (env.quiet ? env.quiet(insert) : insert());
  env.releaseKept();
  const key = iterationKey(scenario.name, strategy, rowId);
  // The iteration's requests: from here to its end-state read (or its end, when it reads none).
  let before = await env.meter?.snapshot();
  const measured = async () => {
    if (env.meter && before) env.meter.add(before, await env.meter.snapshot());
    before = undefined;
  };
  const observeCache = async () => {
    await measured();
    return env.observe(strategy, key);
  };
  const readDatabase = () => env.readDatabase(rowId);
  try {
    const outcome = await step.run({
      strategy,
      iteration: step.iteration,
      workers,
      random: env.random,
      key,
      rowId,
      stampedeConcurrency: settings.stampedeConcurrency,
      lagBoundMs: settings.bypassLagBoundMs,
      observeCache,
      readDatabase,
      commitPlain: (price) => commitPlain(env, rowId, price),
    });
    await measured();
    step.succeeded();
    return outcome;
  } catch (error) {
    const failure = env.quiet && error instanceof RaceWorkerError ? error.failure : undefined;
    if (failure && isTransientFailure(failure)) {
      // A server stayed unavailable past the retries: let the iteration's other calls end, then judge the cache.
      await Promise.all(workers.map((w) => w.idle()));
      env.unavailable[strategy] = (env.unavailable[strategy] ?? 0) + 1;
      return judgeUnavailable(failure, observeCache, readDatabase);
    }
    if (env.quiet) await Promise.all(workers.map((w) => w.idle()));
    step.failed(error);
    const e: Error & { code?: string } = error instanceof Error ? error : new Error(String(error));
    return {
      state: `error: ${e.code ?? e.name}`,
      expectation: 'FORBIDDEN',
      interpretation: e.message.slice(0, 200),
      operations: 0,
    };
  }
}
