import { randomInt } from 'node:crypto';
import { InvalidOptionsError } from '../../errors.js';
import { ALL_CHAOS_FAULTS, type ChaosFault } from '../chaos.js';
import { defaultWorkerEntry } from './race-worker.js';
import { type RaceScenario, SCENARIOS } from './scenarios/index.js';
import {
  CORE_STRATEGIES,
  DEFAULT_STRATEGIES,
  RACE_SCENARIOS,
  RACE_STRATEGIES,
  type RaceOptions,
  type RaceScenarioName,
  type RaceStrategy,
} from './types.js';

/** The default table race rows live in (created if absent, with the version trigger). */
export const RACE_TABLE = 'zkoc_race_products';

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

/** Iterations per strategy of `scenario` under `settings` (when not run by time). */
export function iterationsOf(settings: RaceSettings, scenario: RaceScenario): number {
  return settings.scenarioIterations[scenario.name] ?? settings.iterations ?? scenario.defaultIterations;
}

/**
 * The tick of the ZooKeeper a race starts: session expiry is checked once a tick, and the
 * shortest session it grants is two ticks, so `paused-holder`'s short lease expires on time.
 */
export const RACE_TICK_MS = 50;

/** Lanes at most: each lane forks `workers` processes of its own. */
const MAX_LANES = 32;

/**
 * How many iterations of `scenario` run at a time: `settings.lanes` for a scenario that runs in
 * lanes (never more than its iterations; by time, all of them), else 1. Under chaos always 1: the
 * quiet windows that keep faults off the end-state reads belong to the run, not to a lane.
 */
export function lanesOf(settings: RaceSettings, scenario: RaceScenario): number {
  if (scenario.runsInLanes !== true || settings.chaos !== undefined) return 1;
  if (settings.durationMs !== undefined) return settings.lanes;
  return Math.min(settings.lanes, iterationsOf(settings, scenario));
}

export interface RaceSettings {
  scenarios: RaceScenario[];
  strategies: RaceStrategy[];
  iterations: number | undefined;
  scenarioIterations: Partial<Record<RaceScenarioName, number>>;
  durationMs: number | undefined;
  workers: number;
  stampedeConcurrency: number;
  pausedSessionTimeoutMs: number;
  bypassLagBoundMs: number;
  /** Lanes of a scenario that runs in lanes (see {@link lanesOf}). */
  lanes: number;
  seed: number;
  table: string;
  workerEntry: string;
  chaos: { seed: number; intervalMs: number; faults: readonly ChaosFault[] } | undefined;
  forced: boolean;
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
  // Under chaos the follower catches up only after it reconnects (backoff up to 5 s), past any lag bound: not run.
  const strategies = options.strategies ?? (options.chaos === undefined ? DEFAULT_STRATEGIES : CORE_STRATEGIES);
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
  for (const [name, n] of Object.entries(options.scenarioIterations ?? {})) {
    if (!(RACE_SCENARIOS as readonly string[]).includes(name))
      throw new InvalidOptionsError(
        `scenarioIterations: unknown scenario ${JSON.stringify(name)}; expected one of ${RACE_SCENARIOS.join(', ')}`,
      );
    positive(n, `scenarioIterations.${name}`);
  }
  positive(options.durationMs, 'durationMs');
  positive(options.workers, 'workers', 2);
  positive(options.stampedeConcurrency, 'stampedeConcurrency');
  positive(options.bypassLagBoundMs, 'bypassLagBoundMs');
  positive(options.pausedSessionTimeoutMs, 'pausedSessionTimeoutMs', 100);
  positive(options.lanes, 'lanes');
  if (options.lanes !== undefined && options.lanes > MAX_LANES)
    throw new InvalidOptionsError(
      `lanes must be at most ${MAX_LANES} (each lane forks its own workers), got ${options.lanes}`,
    );
  const redlockUrls = options.servers?.redlock;
  if (redlockUrls !== undefined && redlockUrls.length !== 3)
    throw new InvalidOptionsError(`servers.redlock must list 3 Redis URLs, got ${redlockUrls.length}`);
  if (options.chaos !== undefined && options.forced)
    throw new InvalidOptionsError('forced interleavings and chaos do not mix: drop one');
  if (options.chaos !== undefined && strategies.includes('redlock'))
    throw new InvalidOptionsError(
      'chaos does not run the redlock strategy (its three Redis servers are not part of the chaos topology)',
    );
  if (options.chaos !== undefined && strategies.includes('ordered+follower'))
    throw new InvalidOptionsError(
      'chaos does not run the ordered+follower strategy (under faults the follower catches up after reconnecting, past any lag bound; test/follower/faults.spec.ts covers its faults)',
    );
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
    forced: options.forced === true,
    scenarios: [...new Set(scenarioNames)].map((name) => SCENARIOS[name]),
    // Table order, whatever order they were named in.
    strategies: RACE_STRATEGIES.filter((s) => strategies.includes(s)),
    iterations: options.iterations,
    scenarioIterations: { ...options.scenarioIterations },
    durationMs: options.durationMs,
    workers: options.workers ?? 2,
    stampedeConcurrency: options.stampedeConcurrency ?? 20,
    bypassLagBoundMs: options.bypassLagBoundMs ?? 2_000,
    pausedSessionTimeoutMs: options.pausedSessionTimeoutMs ?? 1_000,
    lanes: options.lanes ?? 8,
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
