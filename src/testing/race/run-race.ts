import { randomInt } from 'node:crypto';
import { Redis } from 'ioredis';
import pg from 'pg';
import { InvalidOptionsError } from '../../errors.js';
import { ensureVersionColumn } from '../../postgres/index.js';
import { OrderedStore } from '../../redis/ordered-store.js';
import { ALL_CHAOS_FAULTS, type Chaos, type ChaosFault, type ChaosReport, startChaos } from '../chaos.js';
import { startStack } from '../start-stack.js';
import type { StartedStack } from '../types.js';
import { SeededRandom } from './prng.js';
import { plainRedisKey, type WorkerConfig } from './protocol.js';
import { defaultWorkerEntry, RaceWorker, RaceWorkerError } from './race-worker.js';
import { type RaceScenario, SCENARIOS } from './scenarios/index.js';
import {
  type CacheObservation,
  type DatabaseRow,
  describeEnd,
  freshnessOf,
  INITIAL_PRICE,
  type IterationOutcome,
} from './scenarios/scenario.js';
import {
  type FailureShape,
  failureLabel,
  isTransientFailure,
  type RetrySettings,
  retryTransient,
} from './transient.js';
import {
  type ObservedOutcome,
  RACE_SCENARIOS,
  RACE_STRATEGIES,
  type RaceCell,
  type RaceChaosReport,
  type RaceOptions,
  type RaceReport,
  type RaceServers,
  type RaceStrategy,
} from './types.js';

/** The default table race rows live in (created if absent, with the version trigger). */
export const RACE_TABLE = 'zkoc_race_products';
const SESSION_TIMEOUT_MS = 10_000;
/** A run stops (throws) after this many consecutive iterations that failed with an error. */
const MAX_CONSECUTIVE_ERRORS = 3;
/** Under chaos: the chaos fault test's retry policy (faults last at most 1.5 s, restarts about as long to heal). */
const CHAOS_RETRY: RetrySettings = { attempts: 40, backoffMs: 200 };
/**
 * The default faults of a chaos race: every fault except those that make a server forget
 * acknowledged data, which no cache can survive: `redis:restart`/`redis:kill` (the harness's Redis
 * has no persistence: the timestamps that fence stale writes vanish, the documented caveat) and
 * `postgres:kill` (the harness runs PostgreSQL with `synchronous_commit=off`: a SIGKILL loses
 * commits already acknowledged, so the database itself goes backwards). `postgres:restart` is a
 * clean shutdown and loses nothing.
 */
export const RACE_CHAOS_FAULTS: readonly ChaosFault[] = Object.freeze(
  ALL_CHAOS_FAULTS.filter((f) => f !== 'redis:restart' && f !== 'redis:kill' && f !== 'postgres:kill'),
);
const CHAOS_TOPOLOGY = 'ZooKeeper ensemble of 3 (fsync off), one Redis, one PostgreSQL';

/**
 * Runs race scenarios, jcstress-style: each scenario many times under each strategy, with real
 * worker processes (forked once per scenario, reused across iterations) against real ZooKeeper,
 * Redis and PostgreSQL, random delays at the racy points drawn from a seeded PRNG, and every
 * iteration's end state classified ACCEPTABLE or FORBIDDEN.
 *
 * Blocks for the whole run: by default a few seconds per scenario, except `paused-holder`
 * (a session timeout per iteration under lock-only and ordered); with `durationMs`, about that long.
 * Starts a local stack with `startStack()` unless `servers` is given, and stops it at the end.
 * An iteration that fails with an error is recorded as a FORBIDDEN `error: …` outcome.
 *
 * With `chaos`, starts its own 3-server ZooKeeper ensemble, Redis and PostgreSQL and runs
 * `startChaos` for the whole race; workers retry transient failures; an iteration that still fails
 * with one is `unavailable (<code>)`: ACCEPTABLE when the cache then equals the database (or is
 * empty/invalidated), FORBIDDEN when it is stale. Every end state is read inside `chaos.hold()`
 * (no fault active, none starting), with bounded retries while a restarted server's connections heal.
 * @throws InvalidOptionsError for bad options (nothing is started); ConnectionError when the
 *   servers cannot be reached; RaceWorkerError when a worker cannot start, dies, or three
 *   iterations in a row fail.
 */
export async function runRace(options: RaceOptions = {}): Promise<RaceReport> {
  const settings = parseRaceOptions(options);
  const started = performance.now();
  const raceStartedAt = Date.now();
  const unavailable: Record<RaceStrategy, number> = { naive: 0, 'lock-only': 0, ordered: 0 };
  let stack: StartedStack | undefined;
  let servers: RaceServers;
  if (options.servers) servers = options.servers;
  else {
    stack = settings.chaos
      ? await startStack({ provider: 'local', zookeeper: { servers: 3, fsync: false } })
      : await startStack();
    servers = { zookeeper: stack.zookeeper.connectString, redis: stack.redis.url, postgres: stack.postgres.url };
  }
  let chaos: Chaos | undefined;
  let chaosReport: ChaosReport | undefined;
  const retry = settings.chaos ? CHAOS_RETRY : undefined;
  // A window with every server up (under chaos), for end-state checks and worker start-up.
  const quiet = async <T>(read: () => Promise<T>): Promise<T> => {
    const release = chaos ? await chaos.hold() : () => {};
    try {
      return await retryTransient(read, retry);
    } finally {
      release();
    }
  };
  // End-state reads keep their hold until the next row is inserted: a fault due meanwhile then
  // starts right when the workers begin racing, instead of landing on the runner's own insert.
  const kept: Array<() => void> = [];
  const releaseKept = (): void => {
    for (const release of kept.splice(0)) release();
  };
  const quietKept = async <T>(read: () => Promise<T>): Promise<T> => {
    kept.push(await chaos!.hold());
    return retryTransient(read, retry);
  };
  const pool = new pg.Pool({ connectionString: servers.postgres, max: 4 });
  const redis = new Redis(servers.redis, { maxRetriesPerRequest: 2, lazyConnect: true });
  // Idle connections dropped by a restarting server (chaos) surface as 'error' events: queries report their own failures.
  pool.on('error', () => {});
  redis.on('error', () => {});
  try {
    await redis.connect();
    const table = settings.table;
    await pool.query(`CREATE TABLE IF NOT EXISTS ${table} (id bigint PRIMARY KEY, price text NOT NULL)`);
    await ensureVersionColumn(pool, { table });
    const namespace = `race-${Date.now().toString(36)}-${settings.seed.toString(36)}`;
    if (settings.chaos && stack)
      chaos = startChaos(stack, {
        seed: settings.chaos.seed,
        intervalMs: settings.chaos.intervalMs,
        faults: settings.chaos.faults,
      });
    const store = new OrderedStore<string>(redis, { namespace });
    const random = new SeededRandom(settings.seed);
    const cells: RaceCell[] = [];
    const cellCount = settings.scenarios.length * settings.strategies.length;
    const plannedIterations = settings.scenarios.reduce(
      (sum, s) => sum + (settings.iterations ?? s.defaultIterations) * settings.strategies.length,
      0,
    );
    let iterationsDone = 0;
    let forbiddenSoFar = 0;
    let nextRowId = 1;
    for (const scenario of settings.scenarios) {
      if (options.signal?.aborted) break;
      const config: WorkerConfig = {
        ...servers,
        namespace,
        table,
        sessionTimeoutMs: scenario.pausesWorkers ? settings.pausedSessionTimeoutMs : SESSION_TIMEOUT_MS,
        label: `zkoc-race-${scenario.name}`,
        ...(retry ? { retry } : {}),
      };
      const workers = await quiet(() => startWorkers(settings.workerEntry, config, settings.workers));
      try {
        for (const strategy of settings.strategies) {
          if (options.signal?.aborted) break;
          const cellStart = performance.now();
          const budgetMs = settings.durationMs === undefined ? undefined : settings.durationMs / cellCount;
          const tally = new Map<string, ObservedOutcome>();
          let iterations = 0;
          let operations = 0;
          let forbidden = 0;
          let consecutiveErrors = 0;
          const more = () =>
            !options.signal?.aborted &&
            (budgetMs === undefined
              ? iterations < (settings.iterations ?? scenario.defaultIterations)
              : iterations === 0 || performance.now() - cellStart < budgetMs);
          while (more()) {
            const rowId = nextRowId++;
            // Under chaos the row is set up in a quiet window too, then the held window opens: a pending fault lands while the workers race.
            const insert = () =>
              pool.query(
                `INSERT INTO ${table} (id, price) VALUES ($1, $2) ON CONFLICT (id) DO UPDATE SET price = EXCLUDED.price`,
                [rowId, INITIAL_PRICE],
              );
            await (chaos ? quiet(insert) : insert());
            releaseKept();
            const key = `${scenario.name}:${strategy}:${rowId}`;
            const observe = () =>
              chaos
                ? quietKept(() => observeCache(redis, store, namespace, strategy, key))
                : observeCache(redis, store, namespace, strategy, key);
            const readDatabase = () =>
              chaos ? quietKept(() => readRow(pool, table, rowId)) : readRow(pool, table, rowId);
            let outcome: IterationOutcome;
            try {
              outcome = await scenario.run({
                strategy,
                iteration: iterations,
                workers,
                random,
                key,
                rowId,
                stampedeConcurrency: settings.stampedeConcurrency,
                observeCache: observe,
                readDatabase,
              });
              consecutiveErrors = 0;
            } catch (error) {
              const failure = chaos && error instanceof RaceWorkerError ? error.failure : undefined;
              if (failure && isTransientFailure(failure)) {
                // A server stayed unavailable past the retries: let the iteration's other calls end, then judge the cache.
                await Promise.all(workers.map((w) => w.idle()));
                outcome = await judgeUnavailable(failure, observe, readDatabase);
                unavailable[strategy] += 1;
              } else {
                if (chaos) await Promise.all(workers.map((w) => w.idle()));
                consecutiveErrors += 1;
                if (consecutiveErrors >= MAX_CONSECUTIVE_ERRORS) throw error;
                const e: Error & { code?: string } = error instanceof Error ? error : new Error(String(error));
                outcome = {
                  state: `error: ${e.code ?? e.name}`,
                  expectation: 'FORBIDDEN',
                  interpretation: e.message.slice(0, 200),
                  operations: 0,
                };
              }
            }
            iterations += 1;
            iterationsDone += 1;
            operations += outcome.operations;
            if (outcome.expectation === 'FORBIDDEN') {
              forbidden += 1;
              forbiddenSoFar += 1;
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
              iterationsDone,
              forbidden: forbiddenSoFar,
              fraction:
                settings.durationMs === undefined
                  ? iterationsDone / plannedIterations
                  : Math.min(1, (performance.now() - started) / settings.durationMs),
            });
          }
          cells.push({
            scenario: scenario.name,
            strategy,
            iterations,
            operations,
            forbidden,
            durationMs: Math.round(performance.now() - cellStart),
            outcomes: [...tally.values()].sort((a, b) => b.occurrences - a.occurrences),
            ...(chaos ? { retries: await collectRetries(workers) } : {}),
          });
          releaseKept();
        }
      } finally {
        await Promise.all(workers.map((w) => w.stop()));
      }
    }
    chaosReport = await chaos?.stop();
    const report = summarize(cells, settings, options.servers ? 'given' : 'started', performance.now() - started);
    if (settings.chaos && chaosReport)
      report.chaos = chaosSummary(chaosReport, settings.chaos.intervalMs, raceStartedAt, unavailable, cells);
    return report;
  } finally {
    releaseKept();
    await chaos?.stop();
    redis.disconnect();
    await pool.end().catch(() => {});
    await stack?.stop();
  }
}

interface RaceSettings {
  scenarios: RaceScenario[];
  strategies: RaceStrategy[];
  iterations: number | undefined;
  durationMs: number | undefined;
  workers: number;
  stampedeConcurrency: number;
  pausedSessionTimeoutMs: number;
  seed: number;
  table: string;
  workerEntry: string;
  chaos: { seed: number; intervalMs: number; faults: readonly ChaosFault[] } | undefined;
}

/** Validates {@link RaceOptions} and fills in defaults. @throws InvalidOptionsError naming the option */
export function parseRaceOptions(options: RaceOptions): RaceSettings {
  const scenarioNames = options.scenarios ?? RACE_SCENARIOS;
  for (const name of scenarioNames) {
    if (!RACE_SCENARIOS.includes(name))
      throw new InvalidOptionsError(
        `scenarios: unknown scenario ${JSON.stringify(name)}; expected one of ${RACE_SCENARIOS.join(', ')}`,
      );
  }
  const strategies = options.strategies ?? RACE_STRATEGIES;
  for (const name of strategies) {
    if (!RACE_STRATEGIES.includes(name))
      throw new InvalidOptionsError(
        `strategies: unknown strategy ${JSON.stringify(name)}; expected one of ${RACE_STRATEGIES.join(', ')}`,
      );
  }
  if (scenarioNames.length === 0 || strategies.length === 0)
    throw new InvalidOptionsError('scenarios and strategies must each name at least one');
  const positive = (value: number | undefined, name: string, min = 1): void => {
    if (value !== undefined && (!Number.isSafeInteger(value) || value < min))
      throw new InvalidOptionsError(`${name} must be a whole number ≥ ${min}, got ${value}`);
  };
  positive(options.iterations, 'iterations');
  positive(options.durationMs, 'durationMs');
  positive(options.workers, 'workers', 2);
  positive(options.stampedeConcurrency, 'stampedeConcurrency');
  positive(options.pausedSessionTimeoutMs, 'pausedSessionTimeoutMs', 400);
  const table = options.table ?? RACE_TABLE;
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(table))
    throw new InvalidOptionsError(
      `table must be a lower-case SQL identifier ([a-z_][a-z0-9_]*, at most 63 characters), got ${JSON.stringify(table)}`,
    );
  if (
    options.seed !== undefined &&
    (!Number.isSafeInteger(options.seed) || options.seed < 0 || options.seed > 0xffffffff)
  ) {
    throw new InvalidOptionsError(`seed must be a whole number from 0 to 4294967295, got ${options.seed}`);
  }
  const seed = options.seed ?? randomInt(0, 0xffffffff);
  return {
    chaos: parseChaos(options, seed),
    scenarios: [...new Set(scenarioNames)].map((name) => SCENARIOS[name]),
    strategies: [...new Set(strategies)],
    iterations: options.iterations,
    durationMs: options.durationMs,
    workers: options.workers ?? 2,
    stampedeConcurrency: options.stampedeConcurrency ?? 20,
    pausedSessionTimeoutMs: options.pausedSessionTimeoutMs ?? 1_500,
    seed,
    table,
    workerEntry: options.workerEntry ?? defaultWorkerEntry(),
  };
}

function parseChaos(options: RaceOptions, raceSeed: number): RaceSettings['chaos'] {
  if (options.chaos === undefined) return undefined;
  if (options.servers)
    throw new InvalidOptionsError(
      'chaos needs servers the race starts itself (a ZooKeeper ensemble it can pause and restart); drop servers or chaos',
    );
  const chaos = options.chaos === true ? {} : options.chaos;
  const seed = chaos.seed ?? raceSeed;
  if (!Number.isSafeInteger(seed) || seed < 0 || seed > 0xffffffff)
    throw new InvalidOptionsError(`chaos.seed must be a whole number from 0 to 4294967295, got ${seed}`);
  const intervalMs = chaos.intervalMs ?? 1_000;
  if (!Number.isSafeInteger(intervalMs) || intervalMs < 0)
    throw new InvalidOptionsError(`chaos.intervalMs must be a whole number ≥ 0, got ${intervalMs}`);
  const faults = chaos.faults ?? RACE_CHAOS_FAULTS;
  if (faults.length === 0)
    throw new InvalidOptionsError(
      'chaos.faults must name at least one fault, like ["zookeeper:pause", "postgres:restart"]',
    );
  for (const fault of faults) {
    if (!ALL_CHAOS_FAULTS.includes(fault))
      throw new InvalidOptionsError(
        `chaos.faults: unknown fault ${JSON.stringify(fault)}; known: ${ALL_CHAOS_FAULTS.join(', ')}`,
      );
  }
  return { seed, intervalMs, faults: [...faults] };
}

/**
 * An iteration that failed because a server stayed unavailable past the retries: availability was
 * lost, which is allowed; it is FORBIDDEN only if it left the cache unequal to the database.
 */
async function judgeUnavailable(
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

function chaosSummary(
  report: ChaosReport,
  intervalMs: number,
  raceStartedAt: number,
  unavailableByStrategy: Record<RaceStrategy, number>,
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

/** Sums (and resets) the workers' retry counts by cause. */
async function collectRetries(workers: readonly RaceWorker[]): Promise<Record<string, number>> {
  const sum: Record<string, number> = {};
  for (const worker of workers) {
    const { retries } = await worker.call<{ retries: Record<string, number> }>({ op: 'stats' }, 10_000);
    for (const [cause, n] of Object.entries(retries)) sum[cause] = (sum[cause] ?? 0) + n;
  }
  return sum;
}

async function startWorkers(entry: string, config: WorkerConfig, count: number): Promise<RaceWorker[]> {
  const starting = Array.from({ length: count }, () => RaceWorker.start(entry, config));
  const settled = await Promise.allSettled(starting);
  const workers = settled.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
  const failed = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
  if (failed) {
    await Promise.all(workers.map((w) => w.stop()));
    throw failed.reason;
  }
  return workers;
}

async function observeCache(
  redis: Redis,
  store: OrderedStore<string>,
  namespace: string,
  strategy: RaceStrategy,
  key: string,
): Promise<CacheObservation> {
  if (strategy === 'ordered') {
    const entry = await store.read(key);
    if (!entry) return { kind: 'empty' };
    if (entry.kind === 'value') return { kind: 'value', value: entry.value, timestamp: entry.timestamp };
    return { kind: 'tombstone', timestamp: entry.timestamp };
  }
  const value = await redis.get(plainRedisKey(namespace, strategy, key));
  return value === null ? { kind: 'empty' } : { kind: 'value', value };
}

async function readRow(pool: pg.Pool, table: string, rowId: number): Promise<DatabaseRow> {
  const { rows } = await pool.query<{ price: string; v: string }>(
    `SELECT price, cache_version::text AS v FROM ${table} WHERE id = $1`,
    [rowId],
  );
  const row = rows[0];
  if (!row)
    throw new Error(
      `row ${rowId} of ${table} is gone: the database lost a committed insert (a PostgreSQL SIGKILL with synchronous_commit=off?)`,
    );
  return { price: row.price, version: BigInt(row.v) };
}

function summarize(
  cells: RaceCell[],
  settings: RaceSettings,
  servers: 'started' | 'given',
  durationMs: number,
): RaceReport {
  const forbiddenByStrategy: Record<RaceStrategy, number> = { naive: 0, 'lock-only': 0, ordered: 0 };
  for (const cell of cells) forbiddenByStrategy[cell.strategy] += cell.forbidden;
  return {
    seed: settings.seed,
    workers: settings.workers,
    servers,
    durationMs: Math.round(durationMs),
    cells,
    totals: {
      iterations: cells.reduce((sum, c) => sum + c.iterations, 0),
      operations: cells.reduce((sum, c) => sum + c.operations, 0),
      forbiddenByStrategy,
    },
    orderedViolated: forbiddenByStrategy.ordered > 0,
  };
}
