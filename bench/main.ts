// `npm run bench`: every benchmark in one run against one local stack (ZooKeeper with fsync on),
// each figure printed next to its raw floor measured in the same run. Writes bench/results.json
// and docs/performance.md. `npm run bench -- --quick` runs a reduced version.
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { cpus } from 'node:os';
import { startStack } from '../src/testing/index.js';
import { runCacheBench } from './cache.js';
import { collectLatencies, renderLatencyChart } from './chart.js';
import { runFollowerBench } from './follower.js';
import { runLockBench } from './lock.js';
import { runObservabilityBench } from './observability.js';
import { runRaceBench } from './race.js';
import { runRedisBench } from './redis.js';
import { renderMarkdown, renderText } from './report.js';
import type { BenchSection, BenchSectionRunner } from './types.js';
import { runVerifyBench } from './verify.js';
import { runWritePathBench } from './write-path.js';

const quick = process.argv.includes('--quick');
const only = process.argv.find((a) => a.startsWith('--only='))?.slice('--only='.length);
const sections: [string, BenchSectionRunner][] = [
  ['lock', runLockBench],
  ['redis', runRedisBench],
  ['cache', runCacheBench],
  ['writes', runWritePathBench],
  ['observability', runObservabilityBench],
  ['race', runRaceBench],
  ['follower', runFollowerBench],
  ['verify', runVerifyBench],
];

const stack = await startStack({ provider: 'local', zookeeper: { fsync: true } });
process.stderr.write(`bench: local stack up in ${stack.startupMs} ms (ZooKeeper fsync on)\n`);
const results: BenchSection[] = [];
const lockSections: boolean[] = []; // which results are lock sections (their latencies go in the chart)
try {
  for (const [name, run] of sections) {
    if (only && only !== name) continue;
    process.stderr.write(`bench: ${name}…\n`);
    lockSections.push(name === 'lock');
    results.push(
      await run({
        zookeeper: stack.zookeeper.connectString,
        redis: stack.redis.url,
        postgres: stack.postgres.url,
        scale: quick ? 0.2 : 1,
      }),
    );
  }
} finally {
  await stack.stop();
}

const text = renderText(results);
process.stdout.write(`${text}\n`);
const machine = `${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, Node ${process.version}`;
const when = new Date().toISOString();
await mkdir(new URL('../../bench/', import.meta.url), { recursive: true });
await writeFile(
  new URL('../../bench/results.json', import.meta.url),
  `${JSON.stringify({ when, machine, quick, sections: results }, null, 2)}\n`,
);
const docUrl = new URL('../../docs/performance.md', import.meta.url);
const doc = await readFile(docUrl, 'utf8').catch(() => '');
// The latency chart: the lock section's distributions per scenario, hand-written SVG.
const latencies = collectLatencies(results.filter((_, i) => lockSections[i]));
const chart =
  Object.keys(latencies).length > 0
    ? '![Lock latency distribution: p50, p90, p99, max per scenario](lock-latency.svg)\n\n'
    : '';
const generated = `<!-- bench:start -->\nLast run: ${when} on ${machine}${quick ? ' (quick)' : ''}. Reproduce with \`npm run bench\`.\n\n${chart}${renderMarkdown(results)}<!-- bench:end -->`;
const updated = doc.includes('<!-- bench:start -->')
  ? doc.replace(/<!-- bench:start -->[\s\S]*<!-- bench:end -->/, generated)
  : `# Performance\n\n${generated}\n`;
await mkdir(new URL('../../docs/', import.meta.url), { recursive: true });
if (chart)
  await writeFile(
    new URL('../../docs/lock-latency.svg', import.meta.url),
    renderLatencyChart(latencies, 'Lock acquire+release latency (ms), p50 / p90 / p99 / max'),
  );
await writeFile(docUrl, updated);
const missed = results.flatMap((s) => s.rows.filter((r) => r.met === false).map((r) => `${s.title}: ${r.name}`));
if (missed.length > 0) process.stderr.write(`bench: targets missed in this run:\n  ${missed.join('\n  ')}\n`);
