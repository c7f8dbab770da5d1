import type { RaceReport } from '../../src/testing/race/types.js';
import { describeNines, type Nines, ninesOf, type VerifyReport } from '../../src/verify/index.js';
import type { SoakArgs } from './args.js';
import type { FollowerSummary } from './children.js';
import type { WorkloadCounts } from './workload.js';

/** One violation as the soak reports it: the verify finding and the key's last operations. */
export interface SoakViolation {
  phase: 'continuous' | 'final';
  key: string;
  kind: string;
  cache: unknown;
  databaseVersion: unknown;
  ageMs: number;
  timeline: string[];
}

export interface SoakSummary {
  startedAt: string;
  endedAt: string;
  load: string;
  args: Omit<SoakArgs, 'jsonFile'>;
  comparisons: number;
  consistent: number;
  staleWithinWindow: number;
  absent: number;
  /** Stale keys whose re-check failed (a server error): not in the nines. */
  unverified: number;
  violations: SoakViolation[];
  nines: Nines;
  continuous: { comparisons: number; calls: number; restarts: string[] };
  final: { comparisons: number; consistent: number; staleWithinWindow: number; absent: number; exitCode: number };
  workload: Omit<WorkloadCounts, 'history'>;
  follower: FollowerSummary & { exitCode: number; catchUpMs: number };
  race:
    | {
        exitCode: number;
        iterations?: number;
        operations?: number;
        durationMs?: number;
        forbiddenByStrategy?: Record<string, number>;
        unavailableByStrategy?: Record<string, number>;
        faults?: number;
        faultCounts?: Record<string, number>;
        /** Every FORBIDDEN end state under `ordered` where it promises to hold (not bypass-write), by scenario. */
        orderedForbidden?: { scenario: string; state: string; occurrences: number; interpretation: string }[];
        stderrTail?: string;
      }
    | undefined;
  raceOrderedViolated: boolean;
}

export function summarize(input: {
  args: SoakArgs;
  startedAt: Date;
  load: string;
  continuous: { reports: VerifyReport[]; restarts: string[] };
  final: { report: VerifyReport; code: number };
  workload: WorkloadCounts;
  follower: FollowerSummary & { exitCode: number; catchUpMs: number };
  race: { report: RaceReport | undefined; code: number; stderr: string } | undefined;
}): SoakSummary {
  const { jsonFile: _, ...args } = input.args;
  const reports = [...input.continuous.reports, input.final.report];
  const sum = (pick: (r: VerifyReport) => number) => reports.reduce((n, r) => n + pick(r), 0);
  const timeline = (key: string) => input.workload.history.get(Number(key.split(':')[1])) ?? [];
  const violations: SoakViolation[] = reports.flatMap((r) =>
    r.violations.map((v) => ({
      phase: r === input.final.report ? ('final' as const) : ('continuous' as const),
      key: v.key,
      kind: v.kind,
      cache: v.cache,
      databaseVersion: v.databaseVersion,
      ageMs: v.ageMs,
      timeline: timeline(v.key),
    })),
  );
  const comparisons = sum((r) => r.comparisons);
  const { history: __, ...workload } = input.workload;
  const race = input.race?.report;
  return {
    startedAt: input.startedAt.toISOString(),
    endedAt: new Date().toISOString(),
    load: input.load,
    args,
    comparisons,
    consistent: sum((r) => r.consistent),
    staleWithinWindow: sum((r) => r.staleWithinWindow),
    absent: sum((r) => r.absent),
    unverified: sum((r) => r.unverified?.length ?? 0),
    violations,
    nines: ninesOf(comparisons, violations.length),
    continuous: {
      comparisons: comparisons - input.final.report.comparisons,
      calls: input.continuous.reports.length,
      restarts: input.continuous.restarts,
    },
    final: {
      comparisons: input.final.report.comparisons,
      consistent: input.final.report.consistent,
      staleWithinWindow: input.final.report.staleWithinWindow,
      absent: input.final.report.absent,
      exitCode: input.final.code,
    },
    workload,
    follower: input.follower,
    race:
      input.race === undefined
        ? undefined
        : {
            exitCode: input.race.code,
            ...(race
              ? {
                  iterations: race.totals.iterations,
                  operations: race.totals.operations,
                  durationMs: race.durationMs,
                  forbiddenByStrategy: { ...race.totals.forbiddenByStrategy },
                  unavailableByStrategy: { ...race.chaos?.unavailableByStrategy },
                  faults: race.chaos?.faults.length ?? 0,
                  faultCounts: { ...race.chaos?.counts },
                  // Plain `ordered` cannot see writes that bypass it: its bypass-write failures are
                  // expected (the follower's job, `ordered+follower`) and not the library's.
                  orderedForbidden: race.cells
                    .filter((c) => c.strategy === 'ordered' && c.scenario !== 'bypass-write')
                    .flatMap((c) =>
                      c.outcomes
                        .filter((o) => o.expectation === 'FORBIDDEN')
                        .map((o) => ({ scenario: c.scenario, ...o, expectation: undefined })),
                    ),
                }
              : { stderrTail: input.race.stderr }),
          },
    raceOrderedViolated: race?.orderedViolated ?? false,
  };
}

export function renderSoakSummary(s: SoakSummary): string {
  const n = (x: number) => x.toLocaleString('en-US');
  const lines = [
    '',
    `consistency soak ${s.startedAt} → ${s.endedAt} (load at the end ${s.load})`,
    `  comparisons            ${n(s.comparisons)} (continuous ${n(s.continuous.comparisons)} in ${s.continuous.calls} call(s), final pass ${n(s.final.comparisons)})`,
    `  consistent             ${n(s.consistent)}`,
    `  stale within ${s.args.windowMs} ms  ${n(s.staleWithinWindow)}`,
    `  absent (not compared)  ${n(s.absent)}`,
    `  unverified (re-check failed) ${n(s.unverified)}`,
    `  violations             ${n(s.violations.length)}`,
    `  consistency            ${describeNines(s.nines)} within ${s.args.windowMs} ms`,
    `  final pass             ${n(s.final.consistent)} consistent, ${n(s.final.staleWithinWindow)} stale within the window, zkoc verify exit ${s.final.exitCode}`,
    `  workload               ${JSON.stringify(s.workload)}`,
    `  follower               ${s.follower.changes} changes in ${s.follower.batches} batches, max lag ${Math.round(s.follower.maxLagMs)} ms, ${s.follower.retries} retries, ${s.follower.errors.length} errors, caught up in ${s.follower.catchUpMs} ms, exit ${s.follower.exitCode}`,
  ];
  if (s.race) {
    lines.push(
      s.race.iterations === undefined
        ? `  race                   no report (exit ${s.race.exitCode}): ${s.race.stderrTail}`
        : `  race --chaos           ${n(s.race.iterations)} iterations, ${n(s.race.operations ?? 0)} operations, ${s.race.faults} faults ${JSON.stringify(s.race.faultCounts)}; FORBIDDEN ${JSON.stringify(s.race.forbiddenByStrategy)}; unavailable ${JSON.stringify(s.race.unavailableByStrategy)}; exit ${s.race.exitCode}`,
    );
  }
  for (const f of s.race?.orderedForbidden ?? [])
    lines.push(`  RACE FORBIDDEN under ordered: ${f.scenario}, ${f.occurrences}× ${f.state}: ${f.interpretation}`);
  for (const r of s.continuous.restarts) lines.push(`  verify restarted after: ${r}`);
  for (const v of s.violations) {
    lines.push(
      `  VIOLATION (${v.phase}) ${v.key}: ${v.kind}, cache ${JSON.stringify(v.cache, (_, x) => (typeof x === 'bigint' ? x.toString() : x))}, database ${String(v.databaseVersion ?? 'no row')}, age ${v.ageMs} ms`,
    );
    for (const t of v.timeline) lines.push(`      ${t}`);
  }
  return lines.join('\n');
}
