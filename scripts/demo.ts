// `npm run demo`: the flash-sale story on real servers, told by the race harness.
// Starts ZooKeeper, Redis and PostgreSQL (local processes, or containers when Docker answers),
// creates a `products` table with the version trigger, then runs the races of a flash sale
// ($100 → $50 while readers race) with real worker processes under naive cache-aside and under
// zk-ordered-cache, and prints the outcome tables side by side. Act two: the same sale under the
// two most recommended remedies (versioned cache keys, a Redis SET NX lock that re-checks the
// cache), each next to zk-ordered-cache, showing the outcome that surprises their users. Act three:
// a price changed with plain SQL, behind the library's back, under zk-ordered-cache without and with
// the follower (`zkoc follow`). About a minute.
import pg from 'pg';
import { ensureVersionColumn } from '../src/postgres/index.js';
import { startStack } from '../src/testing/index.js';
import { renderSideBySide } from '../src/testing/race/outcome-table.js';
import { runRace } from '../src/testing/race/run-race.js';
import type { RaceReport, RaceScenarioName, RaceStrategy } from '../src/testing/race/types.js';

const SEED = 2026;
const BYPASS_RUNS = 30;
const CHAPTERS: { scenario: RaceScenarioName; iterations: number; story: string }[] = [
  {
    scenario: 'stale-set',
    iterations: 60,
    story: 'the sale commits $50 and invalidates while a slow reader is filling the cache with $100',
  },
  {
    scenario: 'stampede',
    iterations: 10,
    story: 'the sale goes live: 2 processes × 20 shoppers hit the cold product key at once',
  },
  {
    scenario: 'paused-holder',
    iterations: 2,
    story:
      'a worker that loaded $100 freezes (SIGSTOP, think GC pause) past its ZooKeeper session; the sale commits $50; it wakes up and writes',
  },
];

/** Act two: the remedies people deploy, where they surprise their users. */
const REMEDY_CHAPTERS: {
  scenario: RaceScenarioName;
  strategy: RaceStrategy;
  iterations: number;
  story: string;
  surprise: string[];
}[] = [
  {
    scenario: 'concurrent-writers',
    strategy: 'versioned-keys',
    iterations: 40,
    story:
      'versioned cache keys ("product:123:v5", the most recommended fix): two price changes ($70, then $80) land during the sale',
    surprise: [
      '- versioned keys, surprise: "a new version per write" does not order the writes. The version counter',
      "  counts INCRs in the order they reach Redis, not commits: the earlier commit's INCR can come second,",
      '  and its $70 becomes the newest version while the database says $80.',
    ],
  },
  {
    scenario: 'stale-set',
    strategy: 'setnx-lock-recheck',
    iterations: 40,
    story:
      'a Redis SET NX lock around the fill that re-checks the cache is still empty before writing (the fix recommended against the stale set)',
    surprise: [
      '- SET NX lock + re-check, surprise: the sale invalidates by deleting the key, so "still empty?" is yes',
      '  and the slow reader writes $100 anyway. The lock keeps readers apart, not the writer.',
    ],
  },
];

const log = (line = '') => process.stdout.write(`${line}\n`);

log('zk-ordered-cache demo: a flash sale drops a price from $100 to $50 while readers race to fill the cache.');
const stack = await startStack();
log(
  `servers up in ${stack.startupMs} ms (${stack.provider}): ZooKeeper ${stack.zookeeper.connectString}, Redis ${stack.redis.url}, PostgreSQL ${stack.postgres.url}`,
);
try {
  const pool = new pg.Pool({ connectionString: stack.postgres.url, max: 2 });
  try {
    await pool.query('CREATE TABLE products (id bigint PRIMARY KEY, price text NOT NULL)');
    const migration = await ensureVersionColumn(pool, { table: 'products' });
    log(
      `products table ready: ${migration.column} bigint fed by a sequence in a BEFORE INSERT OR UPDATE trigger (the version every cache write carries)`,
    );
  } finally {
    await pool.end();
  }
  const servers = { zookeeper: stack.zookeeper.connectString, redis: stack.redis.url, postgres: stack.postgres.url };
  const reports: RaceReport[] = [];
  for (const chapter of CHAPTERS) {
    log('');
    log(
      `▶ ${chapter.scenario}: ${chapter.story} (${chapter.iterations} runs each, real worker processes, seed ${SEED})`,
    );
    const report = await runRace({
      servers,
      table: 'products',
      scenarios: [chapter.scenario],
      strategies: ['naive', 'ordered'],
      iterations: chapter.iterations,
      seed: SEED,
    });
    reports.push(report);
    log(renderSideBySide(report, chapter.scenario, 'naive', 'ordered').replace(/^/gm, '  '));
  }
  const forbidden = (strategy: 'naive' | 'ordered') =>
    reports.reduce((sum, r) => sum + r.totals.forbiddenByStrategy[strategy], 0);
  const runs = reports.reduce((sum, r) => sum + r.totals.iterations, 0) / 2;
  log('');
  log(`In ${runs} runs per strategy: naive ${forbidden('naive')} FORBIDDEN outcomes, ordered ${forbidden('ordered')}.`);
  log('');
  log('What to notice:');
  log("- stale-set, naive: in some runs the slow reader's SET of $100 lands after the sale's DEL. The cache then");
  log('  sells at $100 until its TTL ends. ordered: the invalidation is a tombstone at the committed version, so');
  log("  the reader's older $100 is rejected by the compare script; the cache ends at $50 or empty, never $100.");
  log('- stampede, naive: every shopper that missed went to the database. ordered: one loader run in total; the');
  log('  others waited on the per-key ZooKeeper lock (one znode per process) and then read Redis.');
  log("- paused-holder: the frozen worker's lock expired with its session, so a lock alone cannot stop its late");
  log('  write (naive has no lock at all). ordered: its $100 carries an older version and is rejected.');
  log('Reproduce or stress any of these with `zkoc race <scenario> --seed 2026`, all five with `zkoc race all`.');
  log('');
  log('Act two: the same sale under the two most recommended remedies.');
  const surprises: string[] = [];
  for (const chapter of REMEDY_CHAPTERS) {
    log('');
    log(`▶ ${chapter.scenario}: ${chapter.story} (${chapter.iterations} runs each, seed ${SEED})`);
    const report = await runRace({
      servers,
      table: 'products',
      scenarios: [chapter.scenario],
      strategies: [chapter.strategy, 'ordered'],
      iterations: chapter.iterations,
      seed: SEED,
    });
    log(renderSideBySide(report, chapter.scenario, chapter.strategy, 'ordered').replace(/^/gm, '  '));
    surprises.push(...chapter.surprise);
  }
  log('');
  log('What surprises their users:');
  for (const line of surprises) log(line);
  log('Every remedy in every scenario, with the interleaving behind each failure: docs/remedies.md,');
  log('regenerated by `zkoc race all --strategy all --iterations 200 --seed 2026 --report docs/remedies.md`.');
  log('');
  log('Act three: someone fixes the price by hand in psql (plain SQL, not through the library) while shoppers read.');
  log(
    `▶ bypass-write: UPDATE products SET price = '$50' while 2 readers fill the cache (${BYPASS_RUNS} runs each, seed ${SEED})`,
  );
  const bypass = await runRace({
    servers,
    table: 'products',
    scenarios: ['bypass-write'],
    strategies: ['ordered', 'ordered+follower'],
    iterations: BYPASS_RUNS,
    seed: SEED,
  });
  log(renderSideBySide(bypass, 'bypass-write', 'ordered', 'ordered+follower').replace(/^/gm, '  '));
  log('');
  log('- ordered alone: the library never hears of a commit it did not make. A reader that loaded $100 before it');
  log('  keeps $100 cached at the old version until the TTL ends: nothing newer ever arrives to fence it.');
  log("- ordered+follower: the follower tails PostgreSQL's logical replication slot and turns the commit into a");
  log("  tombstone at the row's new version within milliseconds (FORBIDDEN: still stale 2 s after the commit).");
  log(
    "  Run it as `zkoc follow --database-url … -n <namespace> --table 'products=product:{id}'` beside your services.",
  );
} finally {
  await stack.stop();
}
