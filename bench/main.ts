// `npm run bench`: every benchmark in one run against one local stack (ZooKeeper with fsync on),
// each figure printed next to its raw floor measured in the same run. `--only=a,b` runs some
// sections; each section that ran replaces only its own part of bench/results.json and
// docs/performance.md (bench/merge.ts). `npm run bench -- --quick` runs a reduced version.
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { cpus } from 'node:os';
import { startStack } from '../src/testing/index.js';
import { runCacheBench } from './cache.js';
import { collectLatencies, renderLatencyChart } from './chart.js';
import { runFollowerBench } from './follower.js';
import { runLockBench } from './lock.js';
import { mergeDoc, mergeResults, parseOnly, type SectionCatalog, type SectionResult } from './merge.js';
import { runObservabilityBench } from './observability.js';
import { runRaceBench } from './race.js';
import { runRedisBench } from './redis.js';
import { renderSectionMarkdown, renderText } from './report.js';
import type { BenchSectionRunner } from './types.js';
import { runVerifyBench } from './verify.js';
import { runWritePathBench } from './write-path.js';

// name, runner, and how its title starts (to recognise it in files written before sub-blocks).
const sections: [string, BenchSectionRunner, string][] = [
  ['lock', runLockBench, 'ZooKeeper lock'],
  ['redis', runRedisBench, 'Redis entry store'],
  ['cache', runCacheBench, 'Cache facade'],
  ['writes', runWritePathBench, 'Write path'],
  ['observability', runObservabilityBench, 'Observability'],
  ['race', runRaceBench, 'Race harness'],
  ['follower', runFollowerBench, 'Follower'],
  ['verify', runVerifyBench, 'zkoc verify'],
];
const catalog: SectionCatalog = {
  order: sections.map(([name]) => name),
  titlePrefix: Object.fromEntries(sections.map(([name, , prefix]) => [name, prefix])),
};

const quick = process.argv.includes('--quick');
const only = (() => {
  try {
    return parseOnly(process.argv.find((a) => a.startsWith('--only='))?.slice('--only='.length), catalog);
  } catch (error) {
    process.stderr.write(`bench: ${(error as Error).message}\n`);
    process.exit(2);
  }
})();
const resultsUrl = new URL('../../bench/results.json', import.meta.url);
const docUrl = new URL('../../docs/performance.md', import.meta.url);
// Read (and check) both files before any server starts: a file the merge cannot read fails now.
const previousResults: unknown = JSON.parse(await readFile(resultsUrl, 'utf8').catch(() => 'null'));
const doc = await readFile(docUrl, 'utf8').catch(() => '');
mergeResults(previousResults, new Map(), catalog);
mergeDoc(doc, new Map(), catalog);

const stack = await startStack({ provider: 'local', zookeeper: { fsync: true } });
process.stderr.write(`bench: local stack up in ${stack.startupMs} ms (ZooKeeper fsync on)\n`);
const machine = `${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, Node ${process.version}`;
const results = new Map<string, SectionResult>();
const fresh = new Map<string, string>(); // section name → its rendered sub-block
let lockLatencies: ReturnType<typeof collectLatencies> = {};
try {
  for (const [name, run] of sections) {
    if (only && !only.includes(name)) continue;
    process.stderr.write(`bench: ${name}…\n`);
    const info = { when: new Date().toISOString(), machine, quick };
    const section = await run({
      zookeeper: stack.zookeeper.connectString,
      redis: stack.redis.url,
      postgres: stack.postgres.url,
      scale: quick ? 0.2 : 1,
    });
    results.set(name, { ...info, ...section });
    // The latency chart: the lock section's distributions per scenario, hand-written SVG.
    if (name === 'lock') lockLatencies = collectLatencies([section]);
    const chart =
      name === 'lock' && Object.keys(lockLatencies).length > 0
        ? '![Lock latency distribution: p50, p90, p99, max per scenario](lock-latency.svg)\n\n'
        : '';
    fresh.set(name, renderSectionMarkdown(info, section, chart));
  }
} finally {
  await stack.stop();
}

process.stdout.write(`${renderText([...results.values()])}\n`);
await mkdir(new URL('../../bench/', import.meta.url), { recursive: true });
await writeFile(resultsUrl, `${JSON.stringify(mergeResults(previousResults, results, catalog), null, 2)}\n`);
await mkdir(new URL('../../docs/', import.meta.url), { recursive: true });
await writeFile(docUrl, mergeDoc(doc, fresh, catalog));
// Written with the doc, and only when the lock section ran: the chart always matches its figures.
if (Object.keys(lockLatencies).length > 0)
  await writeFile(
    new URL('../../docs/lock-latency.svg', import.meta.url),
    renderLatencyChart(lockLatencies, 'Lock acquire+release latency (ms), p50 / p90 / p99 / max'),
  );
const missed = [...results.values()].flatMap((s) =>
  s.rows.filter((r) => r.met === false).map((r) => `${s.title}: ${r.name}`),
);
if (missed.length > 0) process.stderr.write(`bench: targets missed in this run:\n  ${missed.join('\n  ')}\n`);
