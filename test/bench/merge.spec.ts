import { describe, expect, it } from 'vitest';
import { mergeDoc, mergeResults, parseOnly, type SectionCatalog, type SectionResult } from '../../bench/merge.js';
import { renderSectionMarkdown } from '../../bench/report.js';
import type { BenchSection } from '../../bench/types.js';

const catalog: SectionCatalog = {
  order: ['lock', 'redis', 'cache', 'verify'],
  titlePrefix: { lock: 'ZooKeeper lock', redis: 'Redis entry store', cache: 'Cache facade', verify: 'zkoc verify' },
};
const run = (when: string, quick = false) => ({ when, machine: '2 × test cpu, Node v20', quick });
const section = (title: string, value: number): BenchSection => ({
  title,
  rows: [{ name: `${title} row`, value, unit: 'ops/s', floor: value / 2, ratio: 2, target: '≥ 1×', met: true }],
});
const lock = section('ZooKeeper lock (bare recipe)', 500);
const redis = section('Redis entry store (one connection)', 60_000);
const verify = section('zkoc verify throughput', 4_000);
const md = (when: string, s: BenchSection, chart = '') => renderSectionMarkdown(run(when), s, chart);
const entry = (when: string, s: BenchSection): SectionResult => ({ ...run(when), ...s });
const subBlock = (doc: string, name: string) =>
  new RegExp(`<!-- bench:section=${name} -->\\n([\\s\\S]*?)<!-- bench:section-end=${name} -->`).exec(doc)?.[1];
const sectionOrder = (doc: string) => [...doc.matchAll(/<!-- bench:section=(\w+) -->/g)].map((m) => m[1]);

describe('bench: each section owns its part of docs/performance.md and bench/results.json', () => {
  it('writes a first run into an empty doc, and appends the block to a doc without one', () => {
    const fresh = new Map([['redis', md('2026-12-03T10:00:00.000Z', redis)]]);
    const doc = mergeDoc('', fresh, catalog);
    expect(doc.startsWith('# Performance\n\n<!-- bench:start -->\n')).toBe(true);
    expect(doc.trimEnd().endsWith('<!-- bench:end -->')).toBe(true);
    expect(sectionOrder(doc)).toEqual(['redis']);
    expect(subBlock(doc, 'redis')).toContain('Last run: 2026-12-03T10:00:00.000Z on 2 × test cpu, Node v20.\n');
    expect(subBlock(doc, 'redis')).toContain('| Redis entry store (one connection) row | 60,000 ops/s |');

    const handWritten = '# Performance\n\n## Notes\n\nKept as written.\n';
    const appended = mergeDoc(handWritten, fresh, catalog);
    expect(appended.startsWith(handWritten)).toBe(true);
    expect(subBlock(appended, 'redis')).toBe(subBlock(doc, 'redis'));

    expect(mergeResults(null, new Map([['redis', entry('2026-12-03T10:00:00.000Z', redis)]]), catalog)).toEqual({
      sections: { redis: entry('2026-12-03T10:00:00.000Z', redis) },
    });
  });

  it('replaces only the sections that ran, keeping the others, their dates and their order', () => {
    const chart = '![Lock latency](lock-latency.svg)\n\n';
    const all = new Map([
      ['lock', md('2026-11-01T00:00:00.000Z', lock, chart)],
      ['redis', md('2026-11-01T00:00:00.000Z', redis)],
      ['verify', md('2026-11-01T00:00:00.000Z', verify)],
    ]);
    const before = `# Performance\n\nintro\n\n${mergeDoc('', all, catalog).slice('# Performance\n\n'.length)}\n## Hand-written\n\ntext\n`;
    const newer = section('Redis entry store (one connection)', 70_000);
    const after = mergeDoc(before, new Map([['redis', md('2026-12-03T11:00:00.000Z', newer)]]), catalog);

    expect(sectionOrder(after)).toEqual(['lock', 'redis', 'verify']);
    expect(subBlock(after, 'lock')).toBe(subBlock(before, 'lock'));
    expect(subBlock(after, 'lock')).toContain(chart); // the chart stays with the lock section only
    expect(subBlock(after, 'verify')).toBe(subBlock(before, 'verify'));
    expect(subBlock(after, 'redis')).toContain('Last run: 2026-12-03T11:00:00.000Z');
    expect(subBlock(after, 'redis')).toContain('70,000 ops/s');
    expect(after).not.toContain('60,000 ops/s');
    expect(after.startsWith('# Performance\n\nintro\n\n<!-- bench:start -->')).toBe(true);
    expect(after.endsWith('<!-- bench:end -->\n\n## Hand-written\n\ntext\n')).toBe(true);

    // --only=verify,cache: cache was never run, so it goes in its place in the catalog's order.
    const two = mergeDoc(
      after,
      new Map([
        ['verify', md('2026-12-03T12:00:00.000Z', verify)],
        ['cache', md('2026-12-03T12:00:00.000Z', section('Cache facade: hit path', 9))],
      ]),
      catalog,
    );
    expect(sectionOrder(two)).toEqual(['lock', 'redis', 'cache', 'verify']);
    expect(subBlock(two, 'redis')).toBe(subBlock(after, 'redis'));
    expect(subBlock(two, 'verify')).toContain('Last run: 2026-12-03T12:00:00.000Z');

    const results = mergeResults(
      {
        sections: {
          lock: entry('2026-11-01', lock),
          redis: entry('2026-11-01', redis),
          verify: entry('2026-11-01', verify),
        },
      },
      new Map([['redis', entry('2026-12-03', newer)]]),
      catalog,
    );
    expect(Object.keys(results.sections)).toEqual(['lock', 'redis', 'verify']);
    expect(results.sections.lock).toEqual(entry('2026-11-01', lock));
    expect(results.sections.verify).toEqual(entry('2026-11-01', verify));
    expect(results.sections.redis).toEqual(entry('2026-12-03', newer));
  });

  it('converts the old single block: every section keeps its figures and the old run line, the chart goes with lock', () => {
    const oldBlock = [
      '<!-- bench:start -->',
      'Last run: 2026-11-22T13:04:22.831Z on 2 × AMD EPYC, Node v20.20.2. Reproduce with `npm run bench`.',
      '',
      '![Lock latency distribution](lock-latency.svg)',
      '',
      '### ZooKeeper lock (one ZooKeeper)',
      '',
      '| measure | ours |',
      '| lock row | 1.59 ms |',
      '',
      '### Redis entry store (64 in flight, one connection)',
      '',
      '| redis row | 61,909 ops/s |',
      '',
      '### zkoc verify throughput (2026-12-03, one run, edited by hand)',
      '',
      '| verify row | 4,079 keys/s |',
      '<!-- bench:end -->',
    ].join('\n');
    const doc = `# Performance\n\n${oldBlock}\n\n## Read path\n`;
    const converted = mergeDoc(doc, new Map(), catalog);
    const lastRun = 'Last run: 2026-11-22T13:04:22.831Z on 2 × AMD EPYC, Node v20.20.2.\n\n';
    expect(sectionOrder(converted)).toEqual(['lock', 'redis', 'verify']);
    expect(subBlock(converted, 'lock')).toBe(
      `${lastRun}![Lock latency distribution](lock-latency.svg)\n\n### ZooKeeper lock (one ZooKeeper)\n\n| measure | ours |\n| lock row | 1.59 ms |\n`,
    );
    expect(subBlock(converted, 'redis')).toBe(
      `${lastRun}### Redis entry store (64 in flight, one connection)\n\n| redis row | 61,909 ops/s |\n`,
    );
    expect(subBlock(converted, 'verify')).toContain('### zkoc verify throughput (2026-12-03, one run, edited by hand)');
    expect(converted.endsWith('<!-- bench:end -->\n\n## Read path\n')).toBe(true);

    // A one-section run into the old layout converts it and keeps the others.
    const merged = mergeDoc(doc, new Map([['redis', md('2026-12-03T11:00:00.000Z', redis)]]), catalog);
    expect(subBlock(merged, 'lock')).toBe(subBlock(converted, 'lock'));
    expect(subBlock(merged, 'verify')).toBe(subBlock(converted, 'verify'));
    expect(merged).not.toContain('61,909');

    const oldResults = {
      when: '2026-11-22T13:04:22.831Z',
      machine: 'm',
      quick: false,
      sections: [lock, redis, verify],
    };
    const results = mergeResults(oldResults, new Map([['verify', entry('2026-12-03', verify)]]), catalog);
    expect(Object.keys(results.sections)).toEqual(['lock', 'redis', 'verify']);
    expect(results.sections.lock).toEqual({ when: '2026-11-22T13:04:22.831Z', machine: 'm', quick: false, ...lock });
    expect(results.sections.verify?.when).toBe('2026-12-03');
  });

  it('rejects an unknown section name with the list of names, and a title it cannot place', () => {
    expect(parseOnly(undefined, catalog)).toBeUndefined();
    expect(parseOnly('redis,lock,redis', catalog)).toEqual(['redis', 'lock']);
    expect(() => parseOnly('redis,locks', catalog)).toThrow(
      "unknown bench section 'locks'; sections: lock, redis, cache, verify",
    );
    expect(() => parseOnly('', catalog)).toThrow("unknown bench section ''; sections: lock, redis, cache, verify");
    const oldResults = { when: 'w', machine: 'm', quick: false, sections: [section('Something else', 1)] };
    expect(() => mergeResults(oldResults, new Map(), catalog)).toThrow(
      "no section's title starts like 'Something else'",
    );
  });
});
