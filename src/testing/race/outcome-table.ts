import { SCENARIOS } from './scenarios/index.js';
import type { LatencySummary, RaceCell, RaceChaosReport, RaceCosts, RaceReport, RaceScenarioName } from './types.js';

/**
 * Renders a race report as jcstress-style outcome tables, one block per scenario and strategy:
 * occurrences, expectation, observed state, interpretation; then the totals.
 */
export function renderRaceReport(report: RaceReport): string {
  const lines: string[] = [];
  const scenarios = [...new Set(report.cells.map((c) => c.scenario))];
  for (const scenario of scenarios) {
    lines.push(`${scenario} — ${SCENARIOS[scenario].description}`);
    for (const cell of report.cells.filter((c) => c.scenario === scenario)) lines.push(...renderCell(cell), '');
  }
  if (report.chaos) lines.push(...renderChaos(report.chaos, [...new Set(report.cells.map((c) => c.strategy))]), '');
  lines.push(...renderTotals(report));
  return lines.join('\n');
}

/** The chaos section: topology, every fault (kind, server, when, how long), counts and unavailable iterations. */
export function renderChaos(
  chaos: RaceChaosReport,
  strategies: readonly RaceCell['strategy'][] = Object.keys(chaos.unavailableByStrategy) as RaceCell['strategy'][],
): string[] {
  const counts = Object.entries(chaos.counts)
    .map(([kind, n]) => `${kind} ${n}`)
    .join(', ');
  const unavailable = strategies
    .map((strategy) => `${strategy} ${count(chaos.unavailableByStrategy[strategy] ?? 0)}`)
    .join(', ');
  const rows = chaos.faults.map((f) => [
    `+${seconds(f.offsetMs)}`,
    f.kind,
    f.server,
    `${count(f.durationMs)} ms`,
    `healed in ${count(f.healMs)} ms`,
    f.error ?? '',
  ]);
  const widths = [0, 1, 2, 3, 4].map((i) => Math.max(...rows.map((r) => r[i]!.length), 0));
  return [
    `chaos (seed ${chaos.seed}, ${chaos.intervalMs} ms between faults; ${chaos.topology}): ${count(chaos.faults.length)} faults${counts ? ` — ${counts}` : ''}`,
    ...rows.map((r) =>
      `    ${r.map((c, i) => (i === 0 ? c.padStart(widths[i]!) : i < 5 ? c.padEnd(widths[i]!) : c)).join('  ')}`.trimEnd(),
    ),
    `retried steps (a transient failure absorbed by the workers' retry policy): ${count(sum(chaos.retries))}${causes(chaos.retries)}`,
    `unavailable iterations (a server down past the retries): ${unavailable}`,
  ];
}

function sum(counts: Record<string, number>): number {
  return Object.values(counts).reduce((a, b) => a + b, 0);
}

function causes(counts: Record<string, number>): string {
  const entries = Object.entries(counts).sort((a, b) => b[1] - a[1]);
  return entries.length === 0 ? '' : ` (${entries.map(([cause, n]) => `${cause} ${count(n)}`).join(', ')})`;
}

function renderCell(cell: RaceCell): string[] {
  const verdict = cell.forbidden === 0 ? 'no FORBIDDEN outcome' : `${count(cell.forbidden)} FORBIDDEN`;
  const retried = cell.retries ? `, ${count(sum(cell.retries))} retried steps${causes(cell.retries)}` : '';
  const header = `  [${cell.strategy}] ${count(cell.iterations)} iterations, ${count(cell.operations)} operations${retried}, ${seconds(cell.durationMs)}: ${verdict}`;
  const rows = cell.outcomes.map((o) => [count(o.occurrences), o.expectation, o.state, o.interpretation]);
  const titles = ['occurrences', 'expectation', 'observed state', 'interpretation'];
  const widths = titles.map((t, i) => Math.max(t.length, ...rows.map((r) => r[i]!.length)));
  const format = (cols: string[]) =>
    `    ${cols.map((c, i) => (i === 0 ? c.padStart(widths[i]!) : i === cols.length - 1 ? c : c.padEnd(widths[i]!))).join('  ')}`;
  return [
    header,
    format(titles),
    ...rows.map(format),
    ...(cell.costs ? [`    costs: ${renderCosts(cell.costs)}`] : []),
  ];
}

/** One line of a cell's costs: loads per 100 reads, requests per operation, read and write latency. */
export function renderCosts(costs: RaceCosts): string {
  const per = (n: number | undefined) => (n === undefined ? 'n/a' : n.toFixed(1));
  const ms = (l: LatencySummary) =>
    l.count === 0 ? 'none' : `p50 ${l.p50!.toFixed(1)} ms, p99 ${l.p99!.toFixed(1)} ms`;
  return [
    `${per(costs.loadsPer100Reads)} loads per 100 reads`,
    `Redis ${per(costs.redisPerOperation)} and ZooKeeper ${per(costs.zookeeperPerOperation)} requests per operation`,
    `read ${ms(costs.readMs)}`,
    `write ${ms(costs.writeMs)}`,
  ].join('; ');
}

/** The totals lines: iterations, operations and FORBIDDEN outcomes per strategy. */
export function renderTotals(report: RaceReport): string[] {
  const byStrategy = Object.entries(report.totals.forbiddenByStrategy)
    .filter(([strategy]) => report.cells.some((c) => c.strategy === strategy))
    .map(([strategy, n]) => `${strategy} ${count(n)}`)
    .join(', ');
  return [
    `totals: ${count(report.totals.iterations)} iterations, ${count(report.totals.operations)} operations in ${seconds(report.durationMs)} (seed ${report.seed}, ${report.workers} worker processes)`,
    `FORBIDDEN outcomes: ${byStrategy}`,
    report.orderedViolated
      ? 'RESULT: ordered produced a FORBIDDEN outcome: the library failed'
      : `RESULT: ordered produced no FORBIDDEN outcome${bypassedNote(report)}`,
  ];
}

/** Plain `ordered`'s expected FORBIDDEN outcomes in bypass-write (it never hears of those writes), when there are some. */
function bypassedNote(report: RaceReport): string {
  const cell = report.cells.find((c) => c.scenario === 'bypass-write' && c.strategy === 'ordered');
  if (!cell || cell.forbidden === 0) return '';
  return ` it promises to prevent (its ${count(cell.forbidden)} in bypass-write are writes that bypass the library, expected without the follower: see ordered+follower)`;
}

/** Two strategies' tables for one scenario side by side (the demo), as plain text columns. */
export function renderSideBySide(
  report: RaceReport,
  scenario: RaceScenarioName,
  left: RaceCell['strategy'],
  right: RaceCell['strategy'],
): string {
  const block = (strategy: RaceCell['strategy']): string[] => {
    const cell = report.cells.find((c) => c.scenario === scenario && c.strategy === strategy);
    if (!cell) return [`[${strategy}] not run`];
    return [
      `[${strategy}] ${cell.iterations} runs, ${cell.forbidden} FORBIDDEN`,
      ...cell.outcomes.map((o) => `${count(o.occurrences).padStart(4)}  ${o.expectation.padEnd(10)}  ${o.state}`),
    ];
  };
  const a = block(left);
  const b = block(right);
  const width = Math.max(...a.map((l) => l.length)) + 4;
  return Array.from({ length: Math.max(a.length, b.length) }, (_, i) =>
    `${(a[i] ?? '').padEnd(width)}${b[i] ?? ''}`.trimEnd(),
  ).join('\n');
}

function count(n: number): string {
  return n.toLocaleString('en-US');
}

function seconds(ms: number): string {
  return ms < 10_000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.round(ms / 1000)} s`;
}
