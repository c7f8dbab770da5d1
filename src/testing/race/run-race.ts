import { Redis } from 'ioredis';
import pg from 'pg';
import { ensureVersionColumn } from '../../postgres/index.js';
import { OrderedStore } from '../../redis/ordered-store.js';
import { type Chaos, type ChaosReport, startChaos } from '../chaos.js';
import { startStack } from '../start-stack.js';
import type { StartedStack } from '../types.js';
import { type CellEnv, iterationKey, runCell } from './cell-runner.js';
import { chaosSummary } from './chaos-report.js';
import { CostMeter } from './cost-meter.js';
import { INTERLEAVINGS } from './interleavings.js';
import { observeCache, readRow } from './observe.js';
import { SeededRandom } from './prng.js';
import type { WorkerConfig } from './protocol.js';
import { iterationsOf, lanesOf, parseRaceOptions, RACE_TICK_MS, type RaceSettings } from './race-options.js';
import { RaceWorker } from './race-worker.js';
import { type RedlockServers, startRedlockServers } from './redlock-servers.js';
import type { RaceScenario } from './scenarios/index.js';
import { type RetrySettings, retryTransient } from './transient.js';
import {
  appliesTo,
  isOrdered,
  RACE_STRATEGIES,
  type RaceCell,
  type RaceOptions,
  type RaceReport,
  type RaceServers,
  type RaceStrategy,
  type StrategyCounts,
} from './types.js';

export { parseRaceOptions, RACE_CHAOS_FAULTS, RACE_TABLE } from './race-options.js';

const SESSION_TIMEOUT_MS = 10_000;

/** Under chaos: the chaos fault test's retry policy (faults last at most 1.5 s, restarts about as long to heal). */
const CHAOS_RETRY: RetrySettings = { attempts: 40, backoffMs: 200 };

/**
 * Runs race scenarios, jcstress-style: each scenario many times under each strategy, with real
 * worker processes (forked once per scenario, reused across iterations and strategies; `lanes`
 * groups of them for a scenario that runs in lanes) against real ZooKeeper,
 * Redis and PostgreSQL, random delays at the racy points drawn from a seeded PRNG, and every
 * iteration's end state classified ACCEPTABLE or FORBIDDEN. Each cell also reports its costs
 * (loads per 100 reads, requests per operation, read/write latency), except under chaos.
 *
 * Blocks for the whole run: by default a few seconds per scenario, except `paused-holder`
 * (a session timeout per iteration under the locking strategies, `lanes` of them at a time); with
 * `durationMs`, about that long. Starts a local stack with `startStack()` (its ZooKeeper ticking
 * every 50 ms, without fsync: a stalled disk must not expire the short sessions) unless `servers` is given, and stops it at the end; the
 * `redlock` strategy also starts three local Redis processes unless `servers.redlock` names three.
 * An iteration that fails with an error is recorded as a FORBIDDEN `error: …` outcome.
 *
 * With `chaos`, starts its own 3-server ZooKeeper ensemble, Redis and PostgreSQL and runs
 * `startChaos` for the whole race; workers retry transient failures; an iteration that still fails
 * with one is `unavailable (<code>)`: ACCEPTABLE when the cache then equals the database (or is
 * empty/invalidated), FORBIDDEN when it is stale. Every end state is read inside `chaos.hold()`
 * (no fault active, none starting), with bounded retries while a restarted server's connections heal.
 * @throws InvalidOptionsError for bad options (nothing is started); ConnectionError when the
 *   servers cannot be reached; RaceWorkerError when a worker cannot start, dies, or three
 *   iterations in a row fail; WalLevelError or ReplicationPrivilegeError when `ordered+follower`
 *   runs on a database that cannot stream (its follower needs `wal_level=logical` and REPLICATION).
 */
export async function runRace(options: RaceOptions = {}): Promise<RaceReport> {
  const settings = parseRaceOptions(options);
  const started = performance.now();
  const raceStartedAt = Date.now();
  const unavailable = zeroes(settings);
  let stack: StartedStack | undefined;
  let redlock: RedlockServers | undefined;
  let servers: RaceServers;
  if (options.servers) servers = options.servers;
  else {
    stack = settings.chaos
      ? await startStack({ provider: 'local', zookeeper: { servers: 3, fsync: false } })
      : await startStack({ zookeeper: { tickTimeMs: RACE_TICK_MS, fsync: false } });
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
  let meter: CostMeter | undefined;
  // Idle connections dropped by a restarting server (chaos) surface as 'error' events: queries report their own failures.
  pool.on('error', () => {});
  redis.on('error', () => {});
  try {
    if (settings.strategies.includes('redlock') && !servers.redlock) {
      redlock = await startRedlockServers();
      servers = { ...servers, redlock: redlock.urls };
    }
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
    else meter = new CostMeter([servers.redis, ...(servers.redlock ?? [])], servers.zookeeper);
    const store = new OrderedStore<string>(redis, { namespace });
    const cells: RaceCell[] = [];
    let nextRowId = 1;
    const env: Omit<CellEnv, 'workers'> = {
      settings,
      options,
      random: new SeededRandom(settings.seed),
      pool,
      nextRowId: () => nextRowId++,
      observe: (strategy, key) => {
        const read = () => observeCache(redis, store, namespace, strategy, key);
        return chaos ? quietKept(read) : read();
      },
      readDatabase: (rowId) => (chaos ? quietKept(() => readRow(pool, table, rowId)) : readRow(pool, table, rowId)),
      ...(chaos ? { quiet } : {}),
      releaseKept,
      ...(meter ? { meter } : {}),
      progress: {
        started,
        iterationsDone: 0,
        forbidden: 0,
        planned: plannedIterations(settings),
        cellCount: settings.scenarios.reduce((n, s) => n + strategiesOf(settings, s).length, 0),
      },
      unavailable,
    };
    for (const scenario of settings.scenarios) {
      if (options.signal?.aborted) break;
      const config: WorkerConfig = {
        zookeeper: servers.zookeeper,
        redis: servers.redis,
        postgres: servers.postgres,
        namespace,
        table,
        sessionTimeoutMs: scenario.pausesWorkers ? settings.pausedSessionTimeoutMs : SESSION_TIMEOUT_MS,
        label: `zkoc-race-${scenario.name}`,
        ...(retry ? { retry } : {}),
        ...(servers.redlock ? { redlock: servers.redlock } : {}),
      };
      const count = settings.workers * lanesOf(settings, scenario);
      const workers = await quiet(() => startWorkers(settings.workerEntry, config, count));
      try {
        for (const strategy of strategiesOf(settings, scenario)) {
          if (options.signal?.aborted) break;
          const keyOf = (rowId: number) => iterationKey(scenario.name, strategy, rowId);
          await using _cell = await scenario.openCell?.({ strategy, servers, namespace, table, keyOf });
          cells.push(await runCell({ ...env, workers }, scenario, strategy));
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
    meter?.close();
    redis.disconnect();
    await pool.end().catch(() => {});
    await redlock?.stop();
    await stack?.stop();
  }
}

function plannedIterations(settings: RaceSettings): number {
  return settings.scenarios.reduce((sum, s) => sum + iterationsOf(settings, s) * strategiesOf(settings, s).length, 0);
}

/** The strategies that run in `scenario` (see `appliesTo`). */
function strategiesOf(settings: RaceSettings, scenario: RaceScenario): RaceStrategy[] {
  return settings.strategies.filter((strategy) => appliesTo(scenario.name, strategy));
}

/** 0 for each core strategy and each strategy that runs in some scenario. */
function zeroes(settings: RaceSettings): StrategyCounts {
  const counts: StrategyCounts = { naive: 0, 'lock-only': 0, ordered: 0 };
  for (const strategy of RACE_STRATEGIES)
    if (settings.scenarios.some((scenario) => strategiesOf(settings, scenario).includes(strategy)))
      counts[strategy] = 0;
  return counts;
}

/**
 * The library failed: a FORBIDDEN outcome under `ordered` or `ordered+follower` in a scenario it
 * promises to survive. Plain `ordered` cannot see writes that bypass it (`bypass-write` is the
 * follower's job), so its FORBIDDEN outcomes there are the expected ones.
 */
function libraryFailed(cells: readonly RaceCell[]): boolean {
  return cells.some(
    (c) => isOrdered(c.strategy) && c.forbidden > 0 && INTERLEAVINGS[c.scenario][c.strategy]?.verdict !== 'fails',
  );
}

/** Workers starting at once: more would only crowd the CPU (each loads the package and opens its connections). */
const STARTING_AT_ONCE = 4;

async function startWorkers(entry: string, config: WorkerConfig, count: number): Promise<RaceWorker[]> {
  const workers: RaceWorker[] = [];
  for (let first = 0; first < count; first += STARTING_AT_ONCE) {
    const wave = Array.from({ length: Math.min(STARTING_AT_ONCE, count - first) }, () =>
      RaceWorker.start(entry, config),
    );
    const settled = await Promise.allSettled(wave);
    workers.push(...settled.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : [])));
    const failed = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
    if (failed) {
      await Promise.all(workers.map((w) => w.stop()));
      throw failed.reason;
    }
  }
  return workers;
}

function summarize(
  cells: RaceCell[],
  settings: RaceSettings,
  servers: 'started' | 'given',
  durationMs: number,
): RaceReport {
  const forbiddenByStrategy = zeroes(settings);
  for (const cell of cells)
    forbiddenByStrategy[cell.strategy] = (forbiddenByStrategy[cell.strategy] ?? 0) + cell.forbidden;
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
    orderedViolated: libraryFailed(cells),
    pausedSessionTimeoutMs: settings.pausedSessionTimeoutMs,
  };
}
