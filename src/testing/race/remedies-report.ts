import { cpus, loadavg, totalmem } from 'node:os';
import { INTERLEAVINGS } from './interleavings.js';
import { RACE_TICK_MS } from './race-options.js';
import { lockTtlOf } from './remedies/remedy.js';
import { SCENARIOS } from './scenarios/index.js';
import type { LatencySummary, RaceCell, RaceReport, RaceScenarioName, RaceStrategy } from './types.js';

/** Where and how a report was produced, for its label. */
export interface ReportLabel {
  /** The command that regenerates the report. */
  command: string;
  /** ISO date of the run. @default now */
  date?: string;
  /** One line about the machine. @default CPU model, cores, memory, load average, Node version */
  machine?: string;
}

/** This machine in one line: CPU, cores, memory, load average, Node. */
export function describeMachine(): string {
  const cpu = cpus();
  const load = loadavg()
    .map((n) => n.toFixed(1))
    .join(' ');
  return `${cpu[0]?.model.trim() ?? 'unknown CPU'}, ${cpu.length} cores, ${Math.round(totalmem() / 2 ** 30)} GiB, load average ${load} at the end, Node ${process.version}`;
}

/**
 * Renders a race report as docs/remedies.md: one table strategy × scenario with FORBIDDEN counts
 * and the cost columns, then each FORBIDDEN outcome's interleaving step by step, and the
 * scenarios each strategy survives, labelled with the date, seed and machine.
 */
export function renderRemediesMarkdown(report: RaceReport, label: ReportLabel): string {
  const scenarios = unique(report.cells.map((c) => c.scenario));
  const strategies = unique(report.cells.map((c) => c.strategy));
  const cell = (scenario: RaceScenarioName, strategy: RaceStrategy) =>
    report.cells.find((c) => c.scenario === scenario && c.strategy === strategy);
  const iterations = scenarios.map((s) => {
    const ran = report.cells.filter((c) => c.scenario === s);
    const lanes = unique(ran.flatMap((c) => (c.lanes ? [c.lanes] : [])));
    const laned = lanes.length > 0 ? ` (${lanes.join('/')} at a time)` : '';
    return `${s} ${unique(ran.map((c) => c.iterations)).join('/')}${laned}`;
  });
  const laned = unique(report.cells.filter((c) => c.lanes).map((c) => c.scenario));
  const lines = [
    '# Remedies on trial',
    '',
    '<!-- Generated: do not edit by hand. Regenerate with the command below. -->',
    '',
    'Every remedy the field recommends for cache races, run by `zkoc race` against real ZooKeeper, Redis and',
    'PostgreSQL with real worker processes, side by side with this library (`ordered`, and `ordered+follower`',
    'where rows change outside the library). Each remedy is implemented as its advocates publish it',
    '(src/testing/race/remedies/ says which form); a FORBIDDEN outcome is a cache left disagreeing with the',
    'database (or, in the stampede, more than one load; in bypass-write, still stale past the lag bound).',
    '',
    `- **Command**: \`${label.command}\``,
    `- **Date**: ${label.date ?? new Date().toISOString()}`,
    `- **Seed**: ${report.seed} (random delays at the racy points; ${report.workers} worker processes)`,
    `- **Machine**: ${label.machine ?? describeMachine()}`,
    `- **Iterations per cell**: ${iterations.join(', ')}; ${Math.round(report.durationMs / 1000)} s in total`,
    ...(report.pausedSessionTimeoutMs !== undefined && scenarios.includes('paused-holder')
      ? [
          `- **Lease in paused-holder**: a ${report.pausedSessionTimeoutMs} ms ZooKeeper session${report.servers === 'started' ? ` (its server ticking every ${RACE_TICK_MS} ms)` : ''}; Redis locks and Redlock ${lockTtlOf(report.pausedSessionTimeoutMs)} ms`,
        ]
      : []),
    ...(report.cells.some((c) => c.iterations < 200)
      ? [
          '',
          '**Fewer than 200 iterations in some cells.** 200 in every cell:',
          `\`zkoc race all --strategy all --iterations 200 --seed ${report.seed} --report docs/remedies.md\`.`,
        ]
      : []),
    '',
    '## FORBIDDEN outcomes, strategy × scenario',
    '',
    `| strategy | ${scenarios.join(' | ')} | stampede loads per 100 reads | Redis requests per operation | ZooKeeper requests per operation | read p50 / p99 (stale-set) | write p50 / p99 (concurrent-writers) |`,
    `|---|${scenarios.map(() => '---:').join('|')}|---:|---:|---:|---:|---:|`,
  ];
  for (const strategy of strategies) {
    const counts = scenarios.map((s) => {
      const c = cell(s, strategy);
      if (!c) return '—';
      return c.forbidden === 0 ? `0 of ${c.iterations}` : `**${c.forbidden} of ${c.iterations}**`;
    });
    const ran = report.cells.filter((c) => c.strategy === strategy);
    lines.push(
      `| \`${strategy}\` | ${counts.join(' | ')} | ${fixed(cell('stampede', strategy)?.costs?.loadsPer100Reads)} | ${fixed(weighted(ran, 'redisPerOperation'))} | ${fixed(weighted(ran, 'zookeeperPerOperation'))} | ${ms(cell('stale-set', strategy)?.costs?.readMs)} | ${ms(cell('concurrent-writers', strategy)?.costs?.writeMs)} |`,
    );
  }
  lines.push(
    '',
    'The worst interleaving of each cell, forced step by step instead of waited for (the same every time):',
    '',
    `| strategy | ${scenarios.join(' | ')} |`,
    `|---|${scenarios.map(() => '---').join('|')}|`,
    ...strategies.map(
      (strategy) => `| \`${strategy}\` | ${scenarios.map((s) => verdictOf(INTERLEAVINGS[s][strategy])).join(' | ')} |`,
    ),
    '',
    'How each verdict is checked: test/race/forced-interleavings.spec.ts forces every "fails" of naive',
    'and the remedies (every iteration FORBIDDEN) and the "survives" it can park one party for',
    "(versioned-keys, setnx-lock-recheck); paused-holder.spec.ts forces lock-only's failure and",
    "ordered's survival; remedy-outcomes.spec.ts checks that the strategies holding a lock across the",
    'racy point (lock-only, redlock, ordered) show 0 FORBIDDEN over a seeded run; bypass-write.spec.ts',
    'forces bypass-write under every strategy (every iteration FORBIDDEN but under ordered+follower) and',
    'checks that ordered+follower shows 0 FORBIDDEN over a seeded run. A — marks a strategy that does not',
    'run in that scenario (ordered+follower runs only in bypass-write).',
    '',
    'Requests are counted on the servers (Redis `total_commands_processed` over the cache Redis and the three',
    'Redlock servers, ZooKeeper `mntr` `zk_packets_received`, session pings and reconnects included). Latencies',
    'are measured in the workers and leave out the delays the harness injects, but include waiting for locks.',
    ...(laned.length > 0
      ? [
          `${laned.join(', ')} ran several iterations at a time (lanes, each on worker processes of its own, each`,
          'pausing only its own holder): its requests overlap on the servers and are not counted, so the',
          'requests-per-operation columns cover the other scenarios.',
        ]
      : []),
    '',
    '## Each FORBIDDEN outcome, step by step',
    '',
    'R is the reader, W the writer (W1, W2 and R1, R2 when there are two). Each of these interleavings is',
    'forced deterministically, through hold points in the workers, by `zkoc race <scenario> --forced` and by',
    'test/race/forced-interleavings.spec.ts; the random runs above hit them by chance.',
  );
  for (const scenario of scenarios) {
    lines.push('', `### ${scenario}`, '', SCENARIOS[scenario].description, '');
    for (const strategy of strategies) {
      const c = cell(scenario, strategy);
      const interleaving = INTERLEAVINGS[scenario][strategy];
      if (!c || !interleaving) continue;
      if (interleaving.verdict === 'fails') {
        lines.push(`**\`${strategy}\` fails** (${c.forbidden} of ${c.iterations} here): ${interleaving.summary}.`, '');
        lines.push(...interleaving.steps.map((step, i) => `${i + 1}. ${step}`));
        const states = c.outcomes
          .filter((o) => o.expectation === 'FORBIDDEN')
          .map((o) => `${o.state} (${o.occurrences})`);
        if (states.length > 0) lines.push('', `Observed: ${states.join('; ')}.`);
        lines.push('');
      } else {
        const verdict = c.forbidden === 0 ? 'survives' : `was expected to survive but failed ${c.forbidden} times`;
        lines.push(`**\`${strategy}\` ${verdict}**: ${interleaving.summary}.`, '');
      }
    }
  }
  lines.push(
    '## Read this table with care',
    '',
    '- A 0 from a random run means the interleaving was not hit, not that it cannot happen: the verdicts',
    '  above ("fails" / "survives") come from the forced interleavings, which do not depend on luck.',
    '- `setnx-lock-recheck` survives `paused-holder` here only because its writer writes the new value',
    '  through; a pause between its re-check GET and its SET, or a writer that deletes, still loses.',
    '- `redlock` 5.0.0-beta.2 dates a lock from its first acquisition attempt: a writer that waited out',
    "  another holder's lock gets a lock that is already expired, its first extension fails, and the",
    "  README's `signal.aborted` check then skips its cache update after the commit.",
    '- bypass-write: a writer outside the library (plain SQL) commits while readers fill. No lock, version',
    '  or re-check on the read path can see it, so every strategy without the follower fails, plain',
    '  `ordered` included (expected: the library never hears of that commit; it does not count toward the',
    "  exit status). `ordered+follower`'s end state is read once the follower caught up, or at the lag",
    '  bound (`--lag-bound`, default 2,000 ms after the commit); the others have nothing left that could',
    '  change the key before its TTL (10 minutes) and are read at once.',
    '',
  );
  return lines.join('\n');
}

/** A cell of the forced-verdicts table: — where the strategy does not run. */
function verdictOf(interleaving: { verdict: 'fails' | 'survives' } | undefined): string {
  if (!interleaving) return '—';
  return interleaving.verdict === 'fails' ? '**fails**' : 'survives';
}

function unique<T>(items: readonly T[]): T[] {
  return [...new Set(items)];
}

function weighted(
  cells: readonly RaceCell[],
  field: 'redisPerOperation' | 'zookeeperPerOperation',
): number | undefined {
  let total = 0;
  let operations = 0;
  for (const c of cells) {
    if (!c.costs) return undefined;
    const per = c.costs[field];
    if (per === undefined) {
      if (c.lanes) continue; // counted nowhere: its iterations overlapped
      return undefined;
    }
    total += per * c.operations;
    operations += c.operations;
  }
  return operations === 0 ? undefined : total / operations;
}

function fixed(n: number | undefined): string {
  return n === undefined ? '—' : n.toFixed(1);
}

function ms(l: LatencySummary | undefined): string {
  return !l || l.count === 0 ? '—' : `${l.p50!.toFixed(1)} / ${l.p99!.toFixed(1)} ms`;
}
