import { describe, expect, it } from 'vitest';
import { InvalidOptionsError } from '../../src/errors.js';
import {
  appliesTo,
  parseDurationMs,
  RACE_SCENARIOS,
  RACE_STRATEGIES,
  type RaceReport,
  type RaceStrategy,
  renderRaceReport,
  SeededRandom,
} from '../../src/testing/race/index.js';
import { INTERLEAVINGS } from '../../src/testing/race/interleavings.js';
import { renderRemediesMarkdown } from '../../src/testing/race/remedies-report.js';
import { parseRaceOptions } from '../../src/testing/race/run-race.js';
import { freshnessOf } from '../../src/testing/race/scenarios/scenario.js';

describe('race harness logic', () => {
  it('the seeded PRNG repeats its schedule for a seed and differs across seeds', () => {
    const draw = (seed: number) => {
      const r = new SeededRandom(seed);
      return Array.from({ length: 20 }, () => r.delayMs(0, 25));
    };
    expect(draw(42)).toEqual(draw(42));
    expect(draw(42)).not.toEqual(draw(43));
    expect(draw(42).every((d) => Number.isInteger(d) && d >= 0 && d <= 25)).toBe(true);
  });

  it('parses durations with units and rejects the rest, naming the flag', () => {
    expect(parseDurationMs('30s')).toBe(30_000);
    expect(parseDurationMs('10m')).toBe(600_000);
    expect(parseDurationMs('1h')).toBe(3_600_000);
    expect(parseDurationMs('250ms')).toBe(250);
    expect(parseDurationMs('2')).toBe(2_000);
    for (const bad of ['', '0s', '-1s', '10 minutes', 'soon'])
      expect(() => parseDurationMs(bad)).toThrow(/--duration must be a positive duration/);
  });

  it('rejects bad options by name before anything starts', () => {
    expect(() => parseRaceOptions({ workers: 1 })).toThrow(InvalidOptionsError);
    expect(() => parseRaceOptions({ workers: 1 })).toThrow(/workers must be a whole number ≥ 2/);
    expect(() => parseRaceOptions({ scenarios: ['nope' as never] })).toThrow(/unknown scenario "nope"/);
    expect(() => parseRaceOptions({ strategies: ['cache-aside' as never] })).toThrow(/unknown strategy/);
    expect(() => parseRaceOptions({ seed: -1 })).toThrow(/seed must be/);
    expect(parseRaceOptions({ seed: 9 })).toMatchObject({
      seed: 9,
      workers: 2,
      strategies: ['naive', 'lock-only', 'ordered', 'ordered+follower'],
      bypassLagBoundMs: 2_000,
    });
    expect(() => parseRaceOptions({ bypassLagBoundMs: 0 })).toThrow(/bypassLagBoundMs must be a whole number ≥ 1/);
  });

  it('validates the remedies options: names with the valid list, per-scenario iterations, forced, redlock servers', () => {
    expect(() => parseRaceOptions({ strategies: ['redlocks' as never] })).toThrow(
      'strategies: unknown strategy "redlocks"; expected one of naive, lock-only, versioned-keys, write-through, setnx-lock, setnx-lock-recheck, redlock, ordered, ordered+follower',
    );
    expect(() => parseRaceOptions({ scenarioIterations: { 'bypass-writes': 3 } as never })).toThrow(
      /scenarioIterations: unknown scenario "bypass-writes"/,
    );
    expect(() => parseRaceOptions({ scenarioIterations: { stampede: 0 } })).toThrow(
      /scenarioIterations.stampede must be/,
    );
    expect(() => parseRaceOptions({ forced: true, chaos: true })).toThrow(/forced interleavings and chaos do not mix/);
    expect(() => parseRaceOptions({ strategies: ['redlock'], chaos: true })).toThrow(/chaos does not run the redlock/);
    expect(() => parseRaceOptions({ strategies: ['ordered+follower'], chaos: true })).toThrow(
      /chaos does not run the ordered\+follower strategy/,
    );
    expect(parseRaceOptions({ chaos: true }).strategies).toEqual(['naive', 'lock-only', 'ordered']);
    expect(() =>
      parseRaceOptions({ servers: { zookeeper: 'z', redis: 'redis://r', postgres: 'p', redlock: ['redis://a'] } }),
    ).toThrow(/servers.redlock must list 3 Redis URLs, got 1/);
    // Strategies come out in table order, whatever order they were named in.
    expect(parseRaceOptions({ strategies: ['ordered', 'redlock', 'naive'] }).strategies).toEqual([
      'naive',
      'redlock',
      'ordered',
    ]);
    expect(parseRaceOptions({ iterations: 200, scenarioIterations: { 'paused-holder': 10 } })).toMatchObject({
      iterations: 200,
      scenarioIterations: { 'paused-holder': 10 },
      forced: false,
    });
  });

  it('writes out an interleaving for every strategy in every scenario', () => {
    for (const scenario of RACE_SCENARIOS)
      for (const strategy of RACE_STRATEGIES.filter((s) => appliesTo(scenario, s))) {
        const interleaving = INTERLEAVINGS[scenario][strategy];
        expect(interleaving, `${scenario}/${strategy}`).toBeDefined();
        expect(interleaving!.steps.length).toBeGreaterThan(0);
      }
    // The library's own strategy survives every scenario but bypass-write, where the follower is its answer.
    expect(RACE_SCENARIOS.map((s) => INTERLEAVINGS[s].ordered!.verdict)).toEqual(
      RACE_SCENARIOS.map((s) => (s === 'bypass-write' ? 'fails' : 'survives')),
    );
    expect(INTERLEAVINGS['bypass-write']['ordered+follower']!.verdict).toBe('survives');
    // Every other strategy cannot see a write that bypasses it.
    for (const strategy of RACE_STRATEGIES.filter((s) => s !== 'ordered+follower'))
      expect(INTERLEAVINGS['bypass-write'][strategy]!.verdict, strategy).toBe('fails');
  });

  it('renders docs/remedies.md: label, the strategy × scenario table, the interleaving of each failure', () => {
    const cell = (strategy: RaceStrategy, forbidden: number) => ({
      scenario: 'stale-set' as const,
      strategy,
      iterations: 4,
      operations: 8,
      forbidden,
      durationMs: 10,
      outcomes: [
        ...(forbidden > 0
          ? [
              {
                state: 'cache = $100, database = $50',
                occurrences: forbidden,
                expectation: 'FORBIDDEN' as const,
                interpretation: 'x',
              },
            ]
          : []),
        ...(forbidden < 4
          ? [
              {
                state: 'cache empty, database = $50',
                occurrences: 4 - forbidden,
                expectation: 'ACCEPTABLE' as const,
                interpretation: 'y',
              },
            ]
          : []),
      ],
      costs: {
        reads: 4,
        writes: 4,
        loads: 4,
        loadsPer100Reads: 100,
        redisPerOperation: 1.5,
        zookeeperPerOperation: 0,
        readMs: { count: 4, p50: 1.25, p99: 3 },
        writeMs: { count: 4, p50: 2, p99: 4 },
      },
    });
    const markdown = renderRemediesMarkdown(
      {
        seed: 2026,
        workers: 2,
        servers: 'started',
        durationMs: 5_000,
        cells: [cell('setnx-lock-recheck', 3), cell('versioned-keys', 0)],
        totals: { iterations: 8, operations: 16, forbiddenByStrategy: { naive: 0, 'lock-only': 0, ordered: 0 } },
        orderedViolated: false,
      },
      { command: 'zkoc race stale-set --strategy all', date: '2026-12-03', machine: 'test box' },
    );
    expect(markdown).toContain('- **Command**: `zkoc race stale-set --strategy all`');
    expect(markdown).toContain('- **Date**: 2026-12-03');
    expect(markdown).toContain('- **Seed**: 2026');
    expect(markdown).toContain('- **Machine**: test box');
    expect(markdown).toContain('| `setnx-lock-recheck` | **3 of 4** | — | 1.5 | 0.0 | 1.3 / 3.0 ms | — |');
    expect(markdown).toContain('| `versioned-keys` | 0 of 4 | — | 1.5 | 0.0 | 1.3 / 3.0 ms | — |');
    expect(markdown).toContain('**`setnx-lock-recheck` fails** (3 of 4 here)');
    expect(markdown).toContain('3. R: GET → still empty (the DEL made it so); SET key $100; DEL key:lock');
    expect(markdown).toContain('Observed: cache = $100, database = $50 (3).');
    expect(markdown).toContain('**`versioned-keys` survives**');
  });

  it('judges end states against the database row: older values and older tombstones are stale', () => {
    const row = { price: '$50', version: 8n };
    expect(freshnessOf({ kind: 'empty' }, row)).toBe('empty');
    expect(freshnessOf({ kind: 'tombstone', timestamp: 8n }, row)).toBe('invalidated');
    expect(freshnessOf({ kind: 'tombstone', timestamp: 7n }, row)).toBe('older');
    expect(freshnessOf({ kind: 'value', value: '$50' }, row)).toBe('equal');
    expect(freshnessOf({ kind: 'value', value: '$50', timestamp: 8n }, row)).toBe('equal');
    expect(freshnessOf({ kind: 'value', value: '$50', timestamp: 5n }, row)).toBe('older');
    expect(freshnessOf({ kind: 'value', value: '$100' }, row)).toBe('older');
  });

  it('renders an outcome table with the verdicts and the totals', () => {
    const report: RaceReport = {
      seed: 1,
      workers: 2,
      servers: 'given',
      durationMs: 1234,
      cells: [
        {
          scenario: 'stale-set',
          strategy: 'naive',
          iterations: 3,
          operations: 6,
          forbidden: 1,
          durationMs: 50,
          outcomes: [
            { state: 'cache empty, database = $50', occurrences: 2, expectation: 'ACCEPTABLE', interpretation: 'fine' },
            {
              state: 'cache = $100, database = $50',
              occurrences: 1,
              expectation: 'FORBIDDEN',
              interpretation: 'stale',
            },
          ],
        },
      ],
      totals: { iterations: 3, operations: 6, forbiddenByStrategy: { naive: 1, 'lock-only': 0, ordered: 0 } },
      orderedViolated: false,
    };
    const text = renderRaceReport(report);
    expect(text).toContain('[naive] 3 iterations, 6 operations, 0.1 s: 1 FORBIDDEN');
    expect(text).toMatch(/\n\s+1 {2}FORBIDDEN\s+cache = \$100, database = \$50\s+stale\n/);
    expect(text).toContain('FORBIDDEN outcomes: naive 1\n');
    expect(text).toContain('RESULT: ordered produced no FORBIDDEN outcome');
  });
});
