import { beforeAll, describe, expect, it } from 'vitest';
import { InvalidOptionsError } from '../../src/errors.js';
import {
  isTransientFailure,
  parseRaceOptions,
  type RaceReport,
  renderRaceReport,
  runRace,
} from '../../src/testing/race/index.js';
import { runZkoc } from '../cli/run-zkoc.js';
import { needs } from '../support/stack.js';
import { cellOf, tallyOf } from './fixture.js';

const faults = needs('faults', 'runs the race under chaos on local servers it starts itself');

// Seed 3 with 100 ms between faults draws ZooKeeper and PostgreSQL faults (and a Redis pause)
// within the first few faults; the assertions below check the kinds rather than trust the seed.
const CHAOS_SEED = 3;
const DURATION_MS = 20_000;

describe('race under chaos: servers paused, restarted and killed during the scenarios', faults, () => {
  let report: RaceReport;

  beforeAll(async () => {
    report = await runRace({
      scenarios: ['stale-set', 'concurrent-writers'],
      strategies: ['naive', 'ordered'],
      durationMs: DURATION_MS,
      seed: 20_261_122,
      chaos: { seed: CHAOS_SEED, intervalMs: 100 },
    });
    console.info(renderRaceReport(report));
  }, 120_000);

  it('injects faults into ZooKeeper and into Redis or PostgreSQL, and reports each', () => {
    const chaos = report.chaos!;
    expect(chaos.seed).toBe(CHAOS_SEED);
    expect(chaos.faults.length).toBeGreaterThanOrEqual(2);
    const kinds = chaos.faults.map((f) => f.kind);
    expect(kinds.some((k) => k.startsWith('zookeeper:'))).toBe(true);
    expect(kinds.some((k) => k.startsWith('redis:') || k.startsWith('postgres:'))).toBe(true);
    // The default race set has no fault that makes a server forget acknowledged data.
    expect(kinds.filter((k) => k === 'redis:restart' || k === 'redis:kill' || k === 'postgres:kill')).toEqual([]);
    expect(chaos.faults.filter((f) => f.error)).toEqual([]);
    for (const fault of chaos.faults) {
      expect(fault.durationMs).toBeGreaterThan(0);
      expect(fault.server).toMatch(/^(zookeeper\[[0-2]\]|redis\[0\]|postgres) :\d+$/);
      expect(Date.parse(fault.at)).not.toBeNaN();
    }
    expect(Object.values(chaos.counts).reduce((a, b) => a + (b ?? 0), 0)).toBe(chaos.faults.length);
  });

  // Whether a fault lands while a worker's step is on the wire is timing: most runs retry 5-28
  // steps, but one CI run (quiet machine, 6 PostgreSQL restarts) retried none. So this checks the
  // bookkeeping of whatever was retried, not that something was (that needs a fault placed on a
  // step on purpose, not yet written).
  it('retries are counted by cause, per cell and in total', () => {
    const total = (counts: Record<string, number>) => Object.values(counts).reduce((a, b) => a + b, 0);
    for (const cell of report.cells) expect(cell.retries).toBeTypeOf('object');
    expect(report.cells.reduce((sum, c) => sum + total(c.retries!), 0)).toBe(total(report.chaos!.retries));
  });

  it('ordered: zero FORBIDDEN outcomes, every iteration accounted for, operations counted', () => {
    expect(report.totals.forbiddenByStrategy.ordered).toBe(0);
    expect(report.orderedViolated).toBe(false);
    for (const scenario of ['stale-set', 'concurrent-writers'] as const) {
      const cell = cellOf(report, scenario, 'ordered');
      expect(cell.iterations).toBeGreaterThan(0);
      expect(tallyOf(cell)).toEqual({ occurrences: cell.iterations, forbidden: 0 });
      // A failure that is not "server unavailable" would be an `error: …` outcome (FORBIDDEN).
      expect(cell.outcomes.filter((o) => o.state.startsWith('error'))).toEqual([]);
    }
    expect(report.totals.operations).toBeGreaterThan(0);
    expect(report.servers).toBe('started');
  });

  it('labels unavailable iterations as their own outcome, counted per strategy', () => {
    const unavailableStates = report.cells.flatMap((c) =>
      c.outcomes.filter((o) => o.state.startsWith('unavailable')).map((o) => ({ strategy: c.strategy, o })),
    );
    for (const strategy of ['naive', 'ordered'] as const) {
      const counted = unavailableStates
        .filter((u) => u.strategy === strategy)
        .reduce((sum, u) => sum + u.o.occurrences, 0);
      expect(report.chaos!.unavailableByStrategy[strategy]).toBe(counted);
    }
    for (const { o } of unavailableStates) {
      expect(o.state).toMatch(
        /^unavailable \((E_CONNECTION|E_LOCK_TIMEOUT|E_LOCK_LOST|postgres .+|E[A-Z]+|redis connection)\)/,
      );
    }
  });
});

describe('race chaos options', () => {
  it('refuses chaos on servers it did not start, and bad chaos settings, before starting anything', () => {
    const servers = { zookeeper: '127.0.0.1:1', redis: 'redis://127.0.0.1:1', postgres: 'postgres://127.0.0.1:1/x' };
    expect(() => parseRaceOptions({ chaos: true, servers })).toThrow(InvalidOptionsError);
    expect(() => parseRaceOptions({ chaos: { intervalMs: -5 } })).toThrow(
      /chaos.intervalMs must be a whole number ≥ 0, got -5/,
    );
    expect(() => parseRaceOptions({ chaos: { faults: ['redis:melt' as never] } })).toThrow(
      /chaos.faults: unknown fault "redis:melt"/,
    );
    expect(parseRaceOptions({ seed: 9, chaos: true }).chaos).toMatchObject({ seed: 9, intervalMs: 1_000 });
    expect(parseRaceOptions({}).chaos).toBeUndefined();
  });

  it('zkoc race --chaos: usage errors exit 2 and name the flag', async () => {
    const given = await runZkoc([
      'race',
      'stale-set',
      '--chaos',
      '--zk',
      '127.0.0.1:1',
      '--redis',
      'redis://127.0.0.1:1',
      '--database-url',
      'postgres://127.0.0.1:1/x',
    ]);
    expect(given.code).toBe(2);
    expect(given.stderr).toContain('--chaos starts its own servers');
    const orphan = await runZkoc(['race', 'stale-set', '--chaos-interval-ms', '500']);
    expect(orphan.code).toBe(2);
    expect(orphan.stderr).toContain('--chaos-interval-ms, --chaos-seed and --chaos-faults need --chaos');
    const unknown = await runZkoc(['race', 'stale-set', '--chaos', '--chaos-faults', 'redis:melt']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('--chaos-faults: unknown fault "redis:melt"');
  });

  it('tells transient failures (server unavailable) from bugs', () => {
    expect(isTransientFailure({ code: 'E_CONNECTION' })).toBe(true);
    expect(isTransientFailure({ code: 'E_LOCK_LOST' })).toBe(true);
    expect(
      isTransientFailure({
        name: 'error',
        code: '57P01',
        message: 'terminating connection due to administrator command',
      }),
    ).toBe(true);
    expect(isTransientFailure({ code: 'ECONNREFUSED' })).toBe(true);
    expect(isTransientFailure({ name: 'Error', message: 'Connection terminated unexpectedly' })).toBe(true);
    expect(isTransientFailure({ code: 'E_INVALID_KEY' })).toBe(false);
    expect(isTransientFailure({ name: 'error', code: '42P01', message: 'relation does not exist' })).toBe(false);
    expect(isTransientFailure({ name: 'TypeError', message: 'x is undefined' })).toBe(false);
  });
});
