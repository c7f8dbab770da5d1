import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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

  it('--forced --report: a forced stale set under write-through, written as Markdown; exit 0 (ordered is clean)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'zkoc-race-report-'));
    const file = join(dir, 'remedies.md');
    const run = await runZkoc(
      [
        'race',
        'stale-set',
        '--strategy',
        'write-through,ordered',
        '--forced',
        '--iterations',
        '2',
        '--seed',
        '3',
        '--report',
        file,
        ...servers,
      ],
      { timeoutMs: 60_000 },
    );
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/\[write-through\] 2 iterations, 4 operations, [\d.]+ s: 2 FORBIDDEN/);
    const markdown = await readFile(file, 'utf8');
    await rm(dir, { recursive: true, force: true });
    expect(markdown).toContain(
      '- **Command**: `zkoc race stale-set --strategy write-through,ordered --forced --iterations 2 --seed 3 --report',
    );
    expect(markdown).not.toContain(stack.redis.url);
    expect(markdown).toContain('- **Seed**: 3');
    expect(markdown).toMatch(/\| `write-through` \| \*\*2 of 2\*\* \|/);
    expect(markdown).toMatch(/\| `ordered` \| 0 of 2 \|/);
    expect(markdown).toContain('1. R: GET → miss; SELECT → $100');
  });

  it('--lanes and --paused-session-ms reach the run: paused-holder two at a time on a 400 ms lease', async () => {
    const run = await runZkoc(
      [
        'race',
        'paused-holder',
        '--iterations',
        '2',
        '--strategy',
        'naive',
        '--lanes',
        '2',
        '--paused-session-ms',
        '400',
        '--seed',
        '3',
        '--json',
        ...servers,
      ],
      { timeoutMs: 60_000 },
    );
    expect(run.code).toBe(0);
    const report = JSON.parse(run.stdout) as RaceReport;
    expect(report.pausedSessionTimeoutMs).toBe(400);
    expect(report.cells).toEqual([
      expect.objectContaining({ strategy: 'naive', iterations: 2, lanes: 2, forbidden: 2 }),
    ]);
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
    // The valid names are listed, remedies included.
    expect(unknown.stderr).toContain(
      'expected all or a comma-separated list of naive, lock-only, versioned-keys, write-through, setnx-lock, setnx-lock-recheck, redlock, ordered',
    );
    const scenario = await runZkoc(['race', 'bypass', '--strategy', 'all']);
    expect(scenario.code).toBe(2);
    expect(scenario.stderr).toContain(
      'unknown scenario "bypass"; expected stale-set, concurrent-writers, stampede, paused-holder, bypass-write or all',
    );
    const iterations = await runZkoc(['race', 'all', '--iterations', '200,paused=3']);
    expect(iterations.code).toBe(2);
    expect(iterations.stderr).toContain('unknown scenario "paused"');
    const lanes = await runZkoc(['race', 'paused-holder', '--lanes', '0']);
    expect(lanes.code).toBe(2);
    expect(lanes.stderr).toContain('--lanes must be a whole number ≥ 1, got "0"');
    const tooMany = await runZkoc(['race', 'paused-holder', '--lanes', '33', ...servers]);
    expect(tooMany.code).toBe(2);
    expect(tooMany.stderr).toContain('lanes must be at most 32');
    const lease = await runZkoc(['race', 'paused-holder', '--paused-session-ms', '50']);
    expect(lease.code).toBe(2);
    expect(lease.stderr).toContain('--paused-session-ms must be a whole number ≥ 100, got "50"');
    const mixed = await runZkoc(['race', 'all', '--forced', '--chaos']);
    expect(mixed.code).toBe(2);
    expect(mixed.stderr).toContain('--forced and --chaos do not mix');
  });
});
