// `npm run soak`: a measured consistency figure. Starts its own ZooKeeper, Redis and PostgreSQL
// (startStack, like the demo) and runs, for --duration:
// - a bypass workload on table soak_items: plain-SQL UPDATE/DELETE/INSERT (only the follower tells
//   the cache), updateAndCache, a transaction then cache.set, readers filling through cache.get;
// - `zkoc follow` as a child process, turning the plain-SQL changes into ordered invalidations;
// - the verify library comparing every touched key with its row, pass after pass (batched);
// - `zkoc race all --chaos` as a child process on servers of its own (its faults do not reach this
//   stack; its own judge checks every iteration).
// Then the workload stops, the follower catches up (a sentinel UPDATE must reach the cache), and a
// final `zkoc verify --all` compares every key. Prints comparisons, consistent, stale within the
// window, violations and the nines the sample can show; exit 1 on a violation, 3 short of --comparisons.

import { setMaxListeners } from 'node:events';
import { writeFile } from 'node:fs/promises';
import { loadavg } from 'node:os';
import { Redis } from 'ioredis';
import pg from 'pg';
import { OrderedCache } from '../src/cache/ordered-cache.js';
import { OrderedStore } from '../src/redis/ordered-store.js';
import { startStack } from '../src/testing/index.js';
import type { RaceReport } from '../src/testing/race/types.js';
import { rowVersionFromTable, type VerifyReport } from '../src/verify/index.js';
import { parseSoakArgs } from './soak/args.js';
import { waitForFollower } from './soak/catch-up.js';
import { spawnZkoc, startFollowChild, type ZkocChild } from './soak/children.js';
import { renderSoakSummary, type SoakSummary, summarize } from './soak/summary.js';
import { startContinuousVerify } from './soak/verify-loop.js';
import { createSoakTable, prefill, runWorkload, SOAK_MAPPING, type SoakItem, soakKey } from './soak/workload.js';

const NAMESPACE = 'soak';
const args = parseSoakArgs(process.argv.slice(2));
const log = (line: string) => process.stdout.write(`${new Date().toISOString()} ${line}\n`);
const load = () =>
  loadavg()
    .map((n) => n.toFixed(2))
    .join(' ');
const startedAt = new Date();

log(
  `soak: ${args.durationMs / 1000} s, ${args.keys} keys, window ${args.windowMs} ms, ${args.writeRate} writes/s, ${args.readRate} reads/s, target ${args.comparisons} comparisons, seed ${args.seed}; load ${load()}`,
);
const race: ZkocChild | undefined = args.race
  ? spawnZkoc(['race', 'all', '--chaos', '--duration', `${args.durationMs}ms`, '--seed', String(args.seed), '--json'])
  : undefined;
const stack = await startStack();
log(`servers up in ${stack.startupMs} ms (${stack.provider})`);
const pool = new pg.Pool({ connectionString: stack.postgres.url, max: 10 });
const verifyPool = new pg.Pool({ connectionString: stack.postgres.url, max: 4 });
// An idle client's error (the server going down at the end) surfaces on the next query, if any.
for (const p of [pool, verifyPool]) p.on('error', () => undefined);
const redis = new Redis(stack.redis.url);
const connection = ['--zk', stack.zookeeper.connectString, '--redis', stack.redis.url, '-n', NAMESPACE];
let exitCode = 0;
try {
  await createSoakTable(pool, args.keys);
  const follower = startFollowChild([...connection, '--database-url', stack.postgres.url, '--table', SOAK_MAPPING]);
  await follower.active;
  log('follower active');
  const cache = await OrderedCache.connect<SoakItem>({
    zookeeper: { connectString: stack.zookeeper.connectString },
    redis: stack.redis.url,
    namespace: NAMESPACE,
  });
  const store = new OrderedStore(redis, { namespace: NAMESPACE });
  const allKeys = Array.from({ length: args.keys }, (_, i) => soakKey(i + 1));
  log(`prefilled ${await prefill(pool, cache)} keys (setMany); load ${load()}`);
  const stop = new AbortController();
  setMaxListeners(64, stop.signal); // one sleep per workload loop listens to it
  const workload = runWorkload({
    pool,
    cache,
    keys: args.keys,
    writeRate: args.writeRate,
    readRate: args.readRate,
    signal: stop.signal,
  });
  const verifying = startContinuousVerify({
    cache: store,
    rows: await rowVersionFromTable(verifyPool, SOAK_MAPPING),
    keys: () => allKeys,
    windowMs: args.windowMs,
    rate: args.verifyRate,
  });
  const progress = setInterval(
    () =>
      log(
        `${verifying.keysIssued} keys compared so far; follower ${JSON.stringify(follower.summary())}; load ${load()}`,
      ),
    30_000,
  );
  await new Promise((resolve) => setTimeout(resolve, args.durationMs));
  stop.abort();
  const counts = await workload;
  log(`workload stopped: ${JSON.stringify({ ...counts, history: undefined })}`);
  const continuous = await verifying.stop();
  clearInterval(progress);
  const caughtUp = await waitForFollower(pool, store, 60_000);
  log(`follower caught up in ${caughtUp.ms} ms (sentinel ${caughtUp.key} at ${caughtUp.version})`);
  const final = spawnZkoc([
    'verify',
    ...connection,
    '--database-url',
    stack.postgres.url,
    '--table',
    SOAK_MAPPING,
    '--all',
    '--limit',
    String(args.keys * 2),
    '--window',
    `${args.windowMs}ms`,
    '--json',
  ]);
  const finalCode = await final.exited;
  const finalReport = JSON.parse(final.stdout()) as VerifyReport;
  follower.child.process.kill('SIGTERM');
  const followerCode = await follower.child.exited;
  await cache.close();
  let raceReport: RaceReport | undefined;
  let raceCode: number | undefined;
  if (race) {
    raceCode = await race.exited;
    raceReport = race.stdout().trim() ? (JSON.parse(race.stdout()) as RaceReport) : undefined;
  }
  const summary: SoakSummary = summarize({
    args,
    startedAt,
    load: load(),
    continuous,
    final: { report: finalReport, code: finalCode },
    workload: counts,
    follower: { ...follower.summary(), exitCode: followerCode, catchUpMs: caughtUp.ms },
    race: race ? { report: raceReport, code: raceCode ?? -1, stderr: race.stderr().slice(-2000) } : undefined,
  });
  process.stdout.write(`${renderSoakSummary(summary)}\n`);
  if (args.jsonFile) {
    await writeFile(args.jsonFile, `${JSON.stringify(summary, bigints, 2)}\n`);
    if (race) await writeFile(args.jsonFile.replace(/(\.json)?$/, '.race.json'), race.stdout());
  }
  exitCode =
    summary.violations.length > 0 || summary.raceOrderedViolated ? 1 : summary.comparisons < args.comparisons ? 3 : 0;
} catch (error) {
  process.stderr.write(`soak failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  exitCode = 2;
} finally {
  race?.process.kill('SIGINT');
  redis.disconnect();
  await pool.end();
  await verifyPool.end();
  await stack.stop();
}
process.exit(exitCode);

function bigints(_key: string, value: unknown): unknown {
  return typeof value === 'bigint' ? value.toString() : value;
}
