import { describe, expect, it } from 'vitest';
import { InvalidOptionsError } from '../../src/errors.js';
import { parseDurationMs, type RaceReport, renderRaceReport, SeededRandom } from '../../src/testing/race/index.js';
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
      strategies: ['naive', 'lock-only', 'ordered'],
    });
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
