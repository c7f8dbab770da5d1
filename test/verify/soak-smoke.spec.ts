import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { needs } from '../support/stack.js';

// `npm run soak` in miniature: the script (built into .build/ by `npm test`'s pretest) starts its own
// servers, runs the bypass workload, the follower and the verifier for 4 s (window 2 s), lets the follower catch
// up and verifies every key once more. The long run and its figure are in docs/performance.md.
const SOAK = fileURLToPath(new URL('../../.build/scripts/soak.js', import.meta.url));
const KEYS = 200;

describe('npm run soak (4 s, no race)', needs('exclusive', 'the soak script starts servers of its own'), () => {
  it('compares every key, reaches its comparison target and finds no violation', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'zkoc-soak-'));
    try {
      const file = join(dir, 'soak.json');
      const args = [
        '--duration',
        '4s',
        '--window',
        '2s',
        '--no-race',
        '--keys',
        String(KEYS),
        '--comparisons',
        '1000',
        '--json',
        file,
      ];
      const run = await new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
        execFile(process.execPath, [SOAK, ...args], { timeout: 50_000 }, (error, stdout, stderr) =>
          resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, stderr }),
        );
      });
      expect(run.stderr, run.stdout).not.toMatch(/soak failed/);
      expect(run.code, `${run.stdout}\n${run.stderr}`).toBe(0);
      const summary = JSON.parse(await readFile(file, 'utf8'));
      expect(summary.violations).toEqual([]);
      expect(summary.comparisons).toBeGreaterThanOrEqual(1000);
      expect(summary.consistent + summary.staleWithinWindow).toBe(summary.comparisons);
      expect(summary.final).toMatchObject({ comparisons: KEYS, exitCode: 0 });
      // The workload ran on both paths, and the follower carried the plain-SQL changes.
      expect(summary.workload.sqlUpdate + summary.workload.sqlDelete).toBeGreaterThan(0);
      expect(summary.workload.updateAndCache + summary.workload.transactionThenSet).toBeGreaterThan(0);
      expect(summary.follower.changes).toBeGreaterThan(0);
      expect(summary.follower.exitCode).toBe(0);
      expect(run.stdout).toMatch(/consistency\s+at least [\d.]+ nines \(no violation in [\d,]+ comparisons/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
