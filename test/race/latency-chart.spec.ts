import { describe, expect, it } from 'vitest';
import { collectLatencies, renderLatencyChart } from '../../bench/chart.js';

describe('bench latency chart (hand-written SVG)', () => {
  const series = {
    'lock uncontended (ours)': { p50: 1.9, p90: 2.7, p99: 5.5, max: 13.3 },
    'lock <contended> & co': { p50: 0.4, p90: 3, p99: 40, max: 250 },
  };

  it('draws four labelled bars per scenario, longer for larger percentiles, on a log axis', () => {
    const svg = renderLatencyChart(series, 'Lock latency');
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(svg.trimEnd().endsWith('</svg>')).toBe(true);
    const bars = [
      ...svg.matchAll(/<rect x="\d+" y="[\d.]+" width="([\d.]+)" height="12" fill="[^"]+"><title>([^<]+)<\/title>/g),
    ];
    expect(bars).toHaveLength(8);
    const widths = bars.map((b) => Number(b[1]));
    expect(widths[0]!).toBeLessThan(widths[1]!);
    expect(widths[1]!).toBeLessThan(widths[2]!);
    expect(widths[2]!).toBeLessThan(widths[3]!);
    // log scale: 0.1 → 1000 ms spans four decades, so 250 ms sits a bit past three quarters of the plot
    expect(svg).toMatch(/>0\.10<\/text>/);
    expect(svg).toMatch(/>1000<\/text>/);
    expect(bars[7]![2]).toBe('lock &lt;contended&gt; &amp; co max: 250 ms');
    expect(svg).toContain('>13.3</text>');
  });

  it('says so when no section measured latencies', () => {
    expect(collectLatencies([{ title: 'x', rows: [] }])).toEqual({});
    expect(renderLatencyChart({}, 'Lock latency')).toContain('no latency samples in this run');
  });

  it('collects every section’s distributions by scenario name', () => {
    expect(
      Object.keys(
        collectLatencies([
          { title: 'a', rows: [], latencies: series },
          { title: 'b', rows: [] },
        ]),
      ),
    ).toEqual(Object.keys(series));
  });
});
