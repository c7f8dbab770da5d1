import { runRace } from '../src/testing/race/run-race.js';
import type { RaceCell } from '../src/testing/race/types.js';
import type { BenchRow, BenchSectionRunner } from './types.js';

/**
 * Race throughput: `zkoc race stale-set` iterations per second under each strategy, ordered and
 * lock-only against naive cache-aside (the floor: no lock, no compare script) in the same run,
 * same worker processes, same seeded delays. An iteration is a reader and a writer racing on a
 * fresh row (two cache operations) plus the harness's own row insert and end-state check, which
 * every strategy pays alike.
 */
export const runRaceBench: BenchSectionRunner = async (ctx) => {
  const iterations = Math.max(30, Math.round(300 * ctx.scale));
  const report = await runRace({
    servers: { zookeeper: ctx.zookeeper, redis: ctx.redis, postgres: ctx.postgres },
    scenarios: ['stale-set'],
    iterations,
    seed: 1,
  });
  const cell = (strategy: RaceCell['strategy']): RaceCell => report.cells.find((c) => c.strategy === strategy)!;
  const perSecond = (c: RaceCell): number => c.iterations / (c.durationMs / 1000);
  const naive = perSecond(cell('naive'));
  const row = (strategy: 'ordered' | 'lock-only'): BenchRow => {
    const ours = perSecond(cell(strategy));
    return {
      name: `stale-set iterations/s, ${strategy} vs naive`,
      value: Math.round(ours),
      unit: 'it/s',
      floor: Math.round(naive),
      ratio: Number((ours / naive).toFixed(3)),
      note: `${iterations} iterations each, 2 worker processes, seeded random delays of 0–25 ms at the racy points included (every strategy pays them); FORBIDDEN outcomes: ${strategy} ${cell(strategy).forbidden}, naive ${cell('naive').forbidden}`,
    };
  };
  return {
    title: 'Race harness throughput (stale-set, real worker processes)',
    rows: [row('ordered'), row('lock-only')],
  };
};
