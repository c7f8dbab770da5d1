import type pg from 'pg';
import { describe, expect, it } from 'vitest';
import { type CellEnv, runCell } from '../../src/testing/race/cell-runner.js';
import { CostMeter } from '../../src/testing/race/cost-meter.js';
import { SeededRandom } from '../../src/testing/race/prng.js';
import { lanesOf, parseRaceOptions } from '../../src/testing/race/race-options.js';
import type { RaceWorker } from '../../src/testing/race/race-worker.js';
import { SCENARIOS } from '../../src/testing/race/scenarios/index.js';
import type { IterationContext, RaceScenario } from '../../src/testing/race/scenarios/scenario.js';
import type { RaceCell } from '../../src/testing/race/types.js';

// The lane scheduling of runCell, with in-memory stand-ins for the workers, the database and the
// scenario (pure logic: which iterations run at once, on which workers, with which delays; the
// real servers are in paused-holder-lanes.spec.ts).

/** A worker stand-in: answers `stats` with nothing spent. */
const fakeWorker = (id: number) => ({ id, call: async () => ({}) }) as unknown as RaceWorker & { id: number };

interface Seen {
  iteration: number;
  workers: number[];
  draw: number;
}

/** Runs one paused-holder-like cell whose iterations take `holdMs` each; records what each saw. */
async function runLanes(lanes: number, iterations: number, seed = 5) {
  const settings = parseRaceOptions({ scenarios: ['paused-holder'], iterations, lanes, seed, workers: 2 });
  const scenario: RaceScenario = { ...SCENARIOS['paused-holder'], run: undefined as never };
  const seen: Seen[] = [];
  let inFlight = 0;
  let mostAtOnce = 0;
  scenario.run = async (ctx: IterationContext) => {
    inFlight += 1;
    mostAtOnce = Math.max(mostAtOnce, inFlight);
    seen.push({
      iteration: ctx.iteration,
      workers: ctx.workers.map((w) => (w as RaceWorker & { id: number }).id),
      draw: ctx.random.delayMs(0, 1_000_000),
    });
    await new Promise((resolve) => setTimeout(resolve, 10));
    inFlight -= 1;
    return { state: 'cache = $50, database = $50', expectation: 'ACCEPTABLE', interpretation: 'fine', operations: 2 };
  };
  // Never asked in lanes (they count no requests); one lane would count them: it gets none here.
  const meter = new CostMeter(['redis://127.0.0.1:1'], '127.0.0.1:1');
  let nextRow = 1;
  const env: CellEnv = {
    settings,
    options: {},
    workers: Array.from({ length: 2 * lanesOf(settings, scenario) }, (_, i) => fakeWorker(i)),
    random: new SeededRandom(seed),
    pool: { query: async () => ({ rows: [] }) } as unknown as pg.Pool,
    nextRowId: () => nextRow++,
    observe: async () => ({ kind: 'empty' }),
    readDatabase: async () => ({ price: '$50', version: 1n }),
    releaseKept: () => {},
    ...(lanes > 1 ? { meter } : {}),
    progress: { started: 0, iterationsDone: 0, forbidden: 0, planned: iterations, cellCount: 1 },
    unavailable: { naive: 0, 'lock-only': 0, ordered: 0 },
  };
  try {
    const cell: RaceCell = await runCell(env, scenario, 'lock-only');
    return { cell, seen, mostAtOnce };
  } finally {
    meter.close();
  }
}

describe('race: iterations in lanes', () => {
  it('runs `lanes` iterations at once, each lane on its own pair of workers, every iteration once', async () => {
    const { cell, seen, mostAtOnce } = await runLanes(3, 9);
    expect(mostAtOnce).toBe(3);
    expect(cell).toMatchObject({ iterations: 9, lanes: 3, forbidden: 0, operations: 18 });
    expect(seen.map((s) => s.iteration).sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8]);
    // Each iteration got one lane's two workers; the three lanes' pairs are disjoint.
    const pairs = [...new Set(seen.map((s) => s.workers.join(',')))].sort();
    expect(pairs).toEqual(['0,1', '2,3', '4,5']);
  });

  it('one lane runs one iteration at a time on the given workers', async () => {
    const { cell, seen, mostAtOnce } = await runLanes(1, 4);
    expect(mostAtOnce).toBe(1);
    expect(cell.lanes).toBeUndefined();
    expect(new Set(seen.map((s) => s.workers.join(',')))).toEqual(new Set(['0,1']));
  });

  it('never forks more lanes than iterations', async () => {
    const { cell, mostAtOnce } = await runLanes(8, 2);
    expect(mostAtOnce).toBe(2);
    expect(cell.lanes).toBe(2);
  });

  it('a seed gives every lane the same delays, run after run', async () => {
    const byLane = async () => {
      const { seen } = await runLanes(3, 9, 77);
      const lanes = new Map<string, number[]>();
      for (const s of seen) lanes.set(s.workers.join(','), [...(lanes.get(s.workers.join(',')) ?? []), s.draw]);
      return Object.fromEntries(lanes);
    };
    const first = await byLane();
    expect(await byLane()).toEqual(first);
    expect(new Set(Object.values(first).map((draws) => draws.join(','))).size).toBe(3);
  });

  it('a cell in lanes keeps the workers’ costs but counts no server requests', async () => {
    const { cell } = await runLanes(2, 4);
    expect(cell.costs).toMatchObject({ reads: 0, writes: 0, loads: 0 });
    expect(cell.costs?.redisPerOperation).toBeUndefined();
    expect(cell.costs?.zookeeperPerOperation).toBeUndefined();
  });

  it('only scenarios that run in lanes get them, and none under chaos', () => {
    const settings = parseRaceOptions({ lanes: 4, iterations: 10 });
    expect(lanesOf(settings, SCENARIOS['paused-holder'])).toBe(4);
    expect(lanesOf(settings, SCENARIOS['stale-set'])).toBe(1);
    expect(lanesOf(parseRaceOptions({ lanes: 4, iterations: 10, chaos: true }), SCENARIOS['paused-holder'])).toBe(1);
  });

  it('rejects a bad lane count by name', () => {
    expect(() => parseRaceOptions({ lanes: 0 })).toThrow(/lanes must be a whole number ≥ 1, got 0/);
    expect(() => parseRaceOptions({ lanes: 33 })).toThrow(/lanes must be at most 32/);
  });
});
