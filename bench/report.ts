import type { RunInfo } from './merge.js';
import type { BenchRow, BenchSection } from './types.js';

/** Renders sections as a fixed-width text table for the terminal. */
export function renderText(sections: BenchSection[]): string {
  const lines: string[] = [];
  for (const section of sections) {
    lines.push('', `## ${section.title}`);
    const header = ['measure', 'ours', 'floor', 'ratio', 'target', 'met'];
    const rows = section.rows.map((row) => cells(row));
    const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
    const fmt = (cols: string[]) =>
      cols.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
    lines.push(fmt(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(fmt));
    for (const row of section.rows) if (row.note) lines.push(`  note (${row.name}): ${row.note}`);
  }
  return lines.join('\n');
}

/** Renders sections as Markdown tables (docs/performance.md). */
export function renderMarkdown(sections: BenchSection[]): string {
  const out: string[] = [];
  for (const section of sections) {
    out.push(
      `### ${section.title}`,
      '',
      '| measure | ours | floor | ratio | target | met |',
      '|---|---:|---:|---:|---|---|',
    );
    for (const row of section.rows) out.push(`| ${cells(row).join(' | ')} |`);
    const notes = section.rows.filter((r) => r.note);
    if (notes.length > 0) out.push('', ...notes.map((r) => `- ${r.name}: ${r.note}`));
    const latencies = Object.entries(section.latencies ?? {});
    if (latencies.length > 0) {
      out.push('', '| latency (ms) | p50 | p90 | p99 | max |', '|---|---:|---:|---:|---:|');
      for (const [scenario, d] of latencies)
        out.push(`| ${scenario} | ${num(d.p50)} | ${num(d.p90)} | ${num(d.p99)} | ${num(d.max)} |`);
    }
    out.push('');
  }
  return out.join('\n');
}

/** One section's sub-block of docs/performance.md: its own "Last run" line, the chart if any, its tables. */
export function renderSectionMarkdown(run: RunInfo, section: BenchSection, chart = ''): string {
  const lastRun = `Last run: ${run.when} on ${run.machine}${run.quick ? ' (quick)' : ''}.`;
  return `${lastRun}\n\n${chart}${renderMarkdown([section])}`;
}

function cells(row: BenchRow): string[] {
  return [
    row.name,
    `${num(row.value)} ${row.unit}`,
    row.floor === undefined ? '' : `${num(row.floor)} ${row.unit}`,
    row.ratio === undefined ? '' : `${row.ratio.toFixed(2)}×`,
    row.target ?? '',
    row.met === undefined ? '' : row.met ? 'yes' : 'NO',
  ];
}

function num(value: number): string {
  if (value >= 100) return Math.round(value).toLocaleString('en-US');
  if (value >= 1) return value.toFixed(2);
  return value.toPrecision(3);
}
