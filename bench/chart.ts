import type { BenchSection } from './types.js';

/** One latency distribution, in milliseconds. */
export interface LatencyDistribution {
  p50: number;
  p90: number;
  p99: number;
  max: number;
}

const PERCENTILES = ['p50', 'p90', 'p99', 'max'] as const;
const COLORS: Record<(typeof PERCENTILES)[number], string> = {
  p50: '#2b6cb0',
  p90: '#38a169',
  p99: '#dd6b20',
  max: '#c53030',
};
const LABEL_WIDTH = 230;
const PLOT_WIDTH = 520;
const BAR_HEIGHT = 12;
const BAR_GAP = 3;
const GROUP_GAP = 18;
const TOP = 58;

/** Every section's `latencies`, keyed by scenario name, in section order. */
export function collectLatencies(sections: readonly BenchSection[]): Record<string, LatencyDistribution> {
  return Object.assign({}, ...sections.map((s) => s.latencies ?? {})) as Record<string, LatencyDistribution>;
}

/**
 * A hand-written SVG chart of latency distributions: one group of four horizontal bars
 * (p50, p90, p99, max) per scenario on a logarithmic millisecond axis, each bar labelled with
 * its value. Log scale because a p50 under a millisecond and a max of tens sit on one axis.
 * Returns the SVG document text; an empty `series` gives a chart that says so.
 */
export function renderLatencyChart(series: Record<string, LatencyDistribution>, title: string): string {
  const names = Object.keys(series);
  const values = names.flatMap((n) => PERCENTILES.map((p) => series[n]![p])).filter((v) => v > 0);
  const lo = 10 ** Math.floor(Math.log10(Math.min(...values, 1)));
  const hi = 10 ** Math.ceil(Math.log10(Math.max(...values, 1) * 1.05));
  const x = (ms: number): number =>
    LABEL_WIDTH + (PLOT_WIDTH * (Math.log10(Math.max(ms, lo)) - Math.log10(lo))) / (Math.log10(hi) - Math.log10(lo));
  const groupHeight = PERCENTILES.length * (BAR_HEIGHT + BAR_GAP);
  const plotBottom = TOP + Math.max(1, names.length) * (groupHeight + GROUP_GAP);
  const width = LABEL_WIDTH + PLOT_WIDTH + 70;
  const height = plotBottom + 40;
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="Helvetica, Arial, sans-serif" font-size="12">`,
    `<rect width="100%" height="100%" fill="#ffffff"/>`,
    `<text x="${width / 2}" y="22" text-anchor="middle" font-size="15" font-weight="bold">${escapeXml(title)}</text>`,
  ];
  // legend
  PERCENTILES.forEach((p, i) => {
    const lx = LABEL_WIDTH + i * 80;
    out.push(
      `<rect x="${lx}" y="34" width="12" height="12" fill="${COLORS[p]}"/>`,
      `<text x="${lx + 17}" y="44">${p}</text>`,
    );
  });
  // decade grid lines and axis labels
  for (let tick = lo; tick <= hi * 1.0001; tick *= 10) {
    const tx = x(tick).toFixed(1);
    out.push(`<line x1="${tx}" y1="${TOP - 6}" x2="${tx}" y2="${plotBottom}" stroke="#d0d0d0"/>`);
    out.push(`<text x="${tx}" y="${plotBottom + 16}" text-anchor="middle" fill="#444">${formatMs(tick)}</text>`);
  }
  out.push(
    `<text x="${LABEL_WIDTH + PLOT_WIDTH / 2}" y="${plotBottom + 33}" text-anchor="middle" fill="#444">milliseconds (log scale)</text>`,
  );
  if (names.length === 0) out.push(`<text x="${LABEL_WIDTH}" y="${TOP + 20}">no latency samples in this run</text>`);
  names.forEach((name, g) => {
    const gy = TOP + g * (groupHeight + GROUP_GAP);
    out.push(
      `<text x="${LABEL_WIDTH - 10}" y="${gy + groupHeight / 2 + 4}" text-anchor="end" font-weight="bold">${escapeXml(name)}</text>`,
    );
    PERCENTILES.forEach((p, i) => {
      const value = series[name]![p];
      const by = gy + i * (BAR_HEIGHT + BAR_GAP);
      const bw = Math.max(1, x(value) - LABEL_WIDTH);
      out.push(
        `<rect x="${LABEL_WIDTH}" y="${by}" width="${bw.toFixed(1)}" height="${BAR_HEIGHT}" fill="${COLORS[p]}"><title>${escapeXml(name)} ${p}: ${formatMs(value)} ms</title></rect>`,
      );
      out.push(
        `<text x="${(LABEL_WIDTH + bw + 4).toFixed(1)}" y="${by + BAR_HEIGHT - 2}" font-size="10" fill="#222">${formatMs(value)}</text>`,
      );
    });
  });
  out.push(
    `<line x1="${LABEL_WIDTH}" y1="${TOP - 6}" x2="${LABEL_WIDTH}" y2="${plotBottom}" stroke="#444"/>`,
    '</svg>',
    '',
  );
  return out.join('\n');
}

function formatMs(ms: number): string {
  if (ms >= 100) return Math.round(ms).toString();
  if (ms >= 1) return ms.toFixed(ms >= 10 ? 1 : 2);
  return ms.toPrecision(2);
}

function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}
