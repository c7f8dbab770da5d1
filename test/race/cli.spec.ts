import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RaceReport, StartedStack } from '../../src/testing/index.js';
import { runZkoc } from '../cli/run-zkoc.js';
import { startTestStack } from '../support/stack.js';

// The built `zkoc race` against this file's servers: tables on stdout, JSON under --json, exit 0
// although naive shows FORBIDDEN outcomes (only ordered's count toward the exit status).
describe('zkoc race', () => {
  let stack: StartedStack;
  let servers: string[];

  beforeAll(async () => {
    stack = await startTestStack();
    servers = ['--zk', stack.zookeeper.connectString, '--redis', stack.redis.url, '--database-url', stack.postgres.url];
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it('--json: one JSON report on stdout; naive stampedes, ordered loads once; exit 0', async () => {
    const run = await runZkoc(
      ['race', 'stampede', '--iterations', '2', '--strategy', 'naive,ordered', '--seed', '5', '--json', ...servers],
      { timeoutMs: 60_000 },
    );
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const report = JSON.parse(run.stdout) as RaceReport;
    expect(report.seed).toBe(5);
    expect(report.cells.map((c) => [c.strategy, c.iterations])).toEqual([
      ['naive', 2],
      ['ordered', 2],
    ]);
    expect(report.totals.forbiddenByStrategy).toEqual({ naive: 2, 'lock-only': 0, ordered: 0 });
    expect(report.cells[1]!.outcomes).toEqual([
      expect.objectContaining({ state: '1 load', expectation: 'ACCEPTABLE', occurrences: 2 }),
    ]);
  });

  it('prints the outcome table and the totals; no progress bar when stderr is not a terminal', async () => {
    const run = await runZkoc(
      ['race', 'concurrent-writers', '--iterations', '3', '--strategy', 'ordered', '--seed', '1', ...servers],
      { timeoutMs: 60_000 },
    );
    expect(run.code).toBe(0);
    expect(run.stderr).toBe('');
    expect(run.stdout).toContain('concurrent-writers — two writers update the row and the cache at once');
    expect(run.stdout).toMatch(/\[ordered\] 3 iterations, 6 operations, [\d.]+ s: no FORBIDDEN outcome/);
    expect(run.stdout).toMatch(/occurrences\s+expectation\s+observed state\s+interpretation/);
    expect(run.stdout).toContain('RESULT: ordered produced no FORBIDDEN outcome');
  });

  it('usage errors exit 2 and name the flag', async () => {
    const bad = await runZkoc(['race', 'stale-set', '--duration', 'soon']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--duration must be a positive duration');
    const partial = await runZkoc(['race', 'stale-set', '--zk', stack.zookeeper.connectString]);
    expect(partial.code).toBe(2);
    expect(partial.stderr).toContain('--zk, --redis and --database-url go together');
    const unknown = await runZkoc(['race', 'stale-set', '--strategy', 'naive,cache-aside']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('unknown strategy "cache-aside"');
  });
});
