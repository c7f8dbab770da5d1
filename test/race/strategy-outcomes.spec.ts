import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RaceReport, runRace, type StartedStack } from '../../src/testing/index.js';
import { startTestStack } from '../support/stack.js';
import { cellOf, serversOf, tallyOf } from './fixture.js';

// The harness's promise, checked on real servers with real worker processes: naive cache-aside
// produces stale sets, lost updates and stampedes; a lock alone prevents them here; the ordered
// cache never produces a FORBIDDEN outcome.
describe('race: stale-set, concurrent-writers, stampede under every strategy', () => {
  let stack: StartedStack;
  let report: RaceReport;

  beforeAll(async () => {
    stack = await startTestStack();
    report = await runRace({
      servers: serversOf(stack),
      scenarios: ['stale-set', 'concurrent-writers', 'stampede'],
      iterations: 30,
      stampedeConcurrency: 10,
      seed: 20_261_122,
    });
  }, 120_000);
  afterAll(async () => {
    await stack?.stop();
  });

  it('runs every scenario under every strategy, with bookkeeping that adds up', () => {
    expect(report.cells.map((c) => `${c.scenario}/${c.strategy}`)).toEqual([
      'stale-set/naive',
      'stale-set/lock-only',
      'stale-set/ordered',
      'concurrent-writers/naive',
      'concurrent-writers/lock-only',
      'concurrent-writers/ordered',
      'stampede/naive',
      'stampede/lock-only',
      'stampede/ordered',
    ]);
    for (const cell of report.cells) {
      expect(cell.iterations).toBe(30);
      expect(tallyOf(cell)).toEqual({ occurrences: 30, forbidden: cell.forbidden });
      expect(cell.outcomes.every((o) => !o.state.startsWith('error'))).toBe(true);
    }
    expect(report.totals.iterations).toBe(270);
    expect(report.servers).toBe('given');
  });

  it('naive: the reader fills the old price after the invalidation in some iterations (stale set)', () => {
    const cell = cellOf(report, 'stale-set', 'naive');
    expect(cell.forbidden).toBeGreaterThan(0);
    expect(cell.outcomes.find((o) => o.expectation === 'FORBIDDEN')?.state).toBe('cache = $100, database = $50');
  });

  it('naive: crossing write-through writers leave the cache unequal to the database (lost update)', () => {
    const cell = cellOf(report, 'concurrent-writers', 'naive');
    expect(cell.forbidden).toBeGreaterThan(0);
    for (const o of cell.outcomes.filter((x) => x.expectation === 'FORBIDDEN'))
      expect(o.state).toMatch(/^cache = \$(70|80), database = \$(70|80)$/);
  });

  it('naive: every cold read loads (stampede)', () => {
    const cell = cellOf(report, 'stampede', 'naive');
    expect(cell.forbidden).toBe(30);
    // 2 workers × 10 concurrent reads: most iterations load for every read; none loads once
    for (const o of cell.outcomes)
      expect(o.state).toMatch(/^(20 loads \(every read\)|[23] loads|4–9 loads|10–19 loads)$/);
  });

  it('lock-only: the lock alone prevents these three races (no FORBIDDEN outcome)', () => {
    for (const scenario of ['stale-set', 'concurrent-writers', 'stampede'] as const)
      expect(cellOf(report, scenario, 'lock-only').forbidden).toBe(0);
    expect(cellOf(report, 'stampede', 'lock-only').outcomes).toEqual([
      expect.objectContaining({ state: '1 load', occurrences: 30 }),
    ]);
  });

  it('ordered: no FORBIDDEN outcome in any scenario, one load per cold key', () => {
    for (const scenario of ['stale-set', 'concurrent-writers', 'stampede'] as const)
      expect(cellOf(report, scenario, 'ordered').forbidden).toBe(0);
    expect(cellOf(report, 'stampede', 'ordered').outcomes).toEqual([
      expect.objectContaining({ state: '1 load', occurrences: 30 }),
    ]);
    expect(report.orderedViolated).toBe(false);
    expect(report.totals.forbiddenByStrategy.ordered).toBe(0);
  });
});
