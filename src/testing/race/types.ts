import type { ChaosFault } from '../chaos.js';
import type { RaceScenarioName, RaceStrategy, StrategyCounts } from './strategies.js';

export * from './strategies.js';

/** jcstress's verdicts: an outcome the strategy may produce, or one it must never produce. */
export type Expectation = 'ACCEPTABLE' | 'FORBIDDEN';

/** One observed end state of an iteration and how often it was seen. */
export interface ObservedOutcome {
  /** Short description of the end state, e.g. `cache = $100 (old), database = $50`. */
  state: string;
  occurrences: number;
  expectation: Expectation;
  /** What the state means for a user of this strategy. */
  interpretation: string;
}

/** The result of one scenario under one strategy. */
export interface RaceCell {
  scenario: RaceScenarioName;
  strategy: RaceStrategy;
  iterations: number;
  /** Cache operations issued by the workers (reads and writes), for throughput and soak totals. */
  operations: number;
  /** Iterations whose end state is FORBIDDEN. */
  forbidden: number;
  durationMs: number;
  /** Observed states, most frequent first. */
  outcomes: ObservedOutcome[];
  /** True when the cell ran its forced interleaving (`RaceOptions.forced`) instead of random delays. */
  forced?: boolean;
  /** Iterations run at a time (`RaceOptions.lanes`), when more than one. */
  lanes?: number;
  /** What the strategy cost in this cell (absent under chaos, where retries distort it). */
  costs?: RaceCosts;
  /** Chaos runs only: worker steps retried after a transient failure, by cause (e.g. `E_CONNECTION`, `postgres 57P01`). */
  retries?: Record<string, number>;
}

/** A latency distribution in milliseconds (`undefined` fields: no such operation in the cell). */
export interface LatencySummary {
  count: number;
  p50?: number;
  p99?: number;
}

/**
 * The cost of a strategy in one cell. Round trips are counted on the servers (Redis
 * `total_commands_processed`, summed over the cache Redis and any Redlock servers; ZooKeeper
 * `mntr` `zk_packets_received`, which includes session pings), between an iteration's start and
 * its end-state read, so they are exact only while nobody else uses the servers (and absent from
 * a cell run in lanes, whose iterations overlap). Latencies are
 * measured inside the workers and exclude the delays the harness injects (start delays, the racy
 * point), but include waiting for other workers (locks, polling).
 */
export interface RaceCosts {
  /** Reads the workers finished (each reader of a stampede counts). */
  reads: number;
  writes: number;
  /** Loader runs (database reads of the row by a cache fill). */
  loads: number;
  /** `loads / reads × 100`, rounded to one decimal; `undefined` without reads. */
  loadsPer100Reads?: number;
  /** Redis commands per cache operation; `undefined` when the servers could not be asked. */
  redisPerOperation?: number;
  /** ZooKeeper requests per cache operation; `undefined` when `mntr` is not answered. */
  zookeeperPerOperation?: number;
  readMs: LatencySummary;
  writeMs: LatencySummary;
}

/** Chaos settings of a race (see `RaceOptions.chaos`). */
export interface RaceChaosOptions {
  /** Seed of the fault schedule. @default the race's seed */
  seed?: number;
  /** Quiet time between one fault's healing and the next fault. @default 1_000 */
  intervalMs?: number;
  /**
   * Fault kinds to draw from. @default `RACE_CHAOS_FAULTS`: every ZooKeeper fault, `redis:pause`,
   * `postgres:pause` and `postgres:restart`. Opt-in: `redis:restart`/`redis:kill` (the harness's
   * Redis has no persistence: the timestamps that fence stale writes vanish, the documented caveat)
   * and `postgres:kill` (the harness's PostgreSQL runs `synchronous_commit=off`: a SIGKILL loses
   * acknowledged commits). Both make a server forget data, which no cache strategy can survive.
   */
  faults?: readonly ChaosFault[];
}

/** One fault injected during a chaos race. */
export interface RaceFault {
  /** e.g. `zookeeper:restart`. */
  kind: ChaosFault;
  /** The server, e.g. `zookeeper[1] :41523`. */
  server: string;
  /** ISO time of the injection. */
  at: string;
  /** Milliseconds from the race's start to the injection. */
  offsetMs: number;
  /** How long the server was paused or down. */
  durationMs: number;
  /** How long healing took (resume, or start until the server answered). */
  healMs: number;
  /** Why injecting or healing failed, if it did. */
  error?: string;
}

/** The chaos part of a {@link RaceReport}. */
export interface RaceChaosReport {
  seed: number;
  intervalMs: number;
  /** The topology the faults hit. */
  topology: string;
  faults: RaceFault[];
  /** Faults per kind. */
  counts: Partial<Record<ChaosFault, number>>;
  /** Iterations that failed because a server was unavailable (ACCEPTABLE unless the cache ended stale), per strategy. */
  unavailableByStrategy: StrategyCounts;
  /** Worker steps retried after a transient failure, all cells, by cause. */
  retries: Record<string, number>;
}

/** What {@link runRace} returns. */
export interface RaceReport {
  seed: number;
  workers: number;
  /** Where the servers came from: `started` (startStack) or `given`. */
  servers: 'started' | 'given';
  durationMs: number;
  cells: RaceCell[];
  totals: {
    iterations: number;
    operations: number;
    /** FORBIDDEN iterations per strategy: the core three always, a remedy when it ran. */
    forbiddenByStrategy: StrategyCounts;
  };
  /** True when a FORBIDDEN outcome was seen under `ordered` (the library failed). */
  orderedViolated: boolean;
  /** The `paused-holder` workers' ZooKeeper session timeout (the lease their holder is paused past). */
  pausedSessionTimeoutMs?: number;
  /** Present when the race ran under chaos: the faults injected. */
  chaos?: RaceChaosReport;
}

/** Progress of a run, for a progress bar. */
export interface RaceProgress {
  scenario: RaceScenarioName;
  strategy: RaceStrategy;
  /** Iterations finished in the whole run so far. */
  iterationsDone: number;
  /** Fraction of the run done, in [0, 1] (by iterations, or by time under `durationMs`). */
  fraction: number;
  /** FORBIDDEN iterations so far, all strategies. */
  forbidden: number;
}

/** Where the servers are, when the caller brings its own. */
export interface RaceServers {
  /** ZooKeeper connect string. */
  zookeeper: string;
  /** Redis URL. */
  redis: string;
  /** PostgreSQL URL. */
  postgres: string;
  /**
   * Three Redis URLs for the `redlock` strategy's locks (the cache stays on `redis`). When absent
   * and `redlock` runs, the race starts three local Redis processes and stops them at the end.
   */
  redlock?: readonly string[];
}

/** Options of {@link runRace}. */
export interface RaceOptions {
  /** Scenarios to run. @default every scenario */
  scenarios?: readonly RaceScenarioName[];
  /**
   * Strategies to run each scenario under (a strategy runs only in the scenarios it applies to:
   * `ordered+follower` in `bypass-write`). @default naive, lock-only, ordered, ordered+follower
   * (`RACE_STRATEGIES` for every remedy too)
   */
  strategies?: readonly RaceStrategy[];
  /**
   * Iterations per scenario and strategy. Ignored when `durationMs` is set.
   * @default per scenario: stale-set 100, concurrent-writers 100, stampede 20, paused-holder 3, bypass-write 100
   */
  iterations?: number;
  /** Iterations of particular scenarios, overriding `iterations` (e.g. fewer of the slow `paused-holder`). */
  scenarioIterations?: Partial<Record<RaceScenarioName, number>>;
  /**
   * Run for about this long in total instead of a fixed count, split evenly between the
   * scenario × strategy cells (each runs at least one iteration).
   */
  durationMs?: number;
  /** Worker processes per scenario (at least 2: readers and writers live in different processes). @default 2 */
  workers?: number;
  /** Concurrent reads per worker in `stampede`. @default 20 */
  stampedeConcurrency?: number;
  /**
   * ZooKeeper session timeout of the `paused-holder` workers: the lease the holder is paused past
   * (a server grants at least its `minSessionTimeout`; the stack `runRace` starts allows 100 ms).
   * @default 1_000
   */
  pausedSessionTimeoutMs?: number;
  /**
   * `bypass-write`'s lag bound: `ordered+follower`'s end state is read once the follower caught up or
   * this long after the plain SQL commit, then a stale cache is FORBIDDEN. The other strategies have
   * nothing that could change the key before its TTL (10 minutes): read at once. @default 2_000
   */
  bypassLagBoundMs?: number;
  /**
   * Iterations of a scenario whose iterations mostly wait out a lease (`paused-holder`) run this
   * many at a time, each lane on its own `workers` processes (a paused process freezes all it
   * runs), never more lanes than iterations, one under chaos. Such cells report no request counts (their
   * iterations overlap on the servers); latencies and outcomes are per iteration as usual.
   * @default 8
   */
  lanes?: number;
  /**
   * Force each strategy's worst interleaving (hold points instead of random delays, the same
   * every iteration) where one exists: every strategy in `paused-holder`; the strategies whose
   * lock is not held across the racy point in the other scenarios. The rest run the seeded
   * random schedule. Not with `chaos`. @default false
   */
  forced?: boolean;
  /** Seed of the delay schedule. @default a random 32-bit seed (reported) */
  seed?: number;
  /** Servers to use; when absent a local stack is started with `startStack()` and stopped at the end. */
  servers?: RaceServers;
  /**
   * The PostgreSQL table the rows live in: created if absent as `(id bigint PRIMARY KEY, price text)`
   * and given the version column and trigger (`ensureVersionColumn`). A lower-case SQL identifier.
   * @default 'zkoc_race_products'
   */
  table?: string;
  /** The worker entry (built JavaScript). @default dist/testing/race/worker.js next to this module */
  workerEntry?: string;
  /** Called after every iteration. */
  onProgress?: (progress: RaceProgress) => void;
  /** Stops the run early (the report covers what ran). */
  signal?: AbortSignal;
  /**
   * Run under chaos: start a 3-server ZooKeeper ensemble, one Redis and PostgreSQL (needs no
   * `servers`) and pause/restart/kill one random server at a time for the whole race
   * (`startChaos`). Workers retry transient failures (up to 40 times, 200 ms apart); an iteration
   * that still fails with one is the ACCEPTABLE outcome `unavailable (<code>)` unless the cache
   * ends unequal to the database. End states are read while no fault is active. `true` = defaults.
   * Not with `redlock` or `ordered+follower` (a follower catches up only after reconnecting).
   */
  chaos?: RaceChaosOptions | true;
}
