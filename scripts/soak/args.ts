import { parseArgs } from 'node:util';
import { InvalidOptionsError } from '../../src/errors.js';
import { parseDurationMs } from '../../src/testing/race/parse-duration.js';

/** What `npm run soak -- …` takes. */
export interface SoakArgs {
  /** How long the workload (and the race beside it) runs. */
  durationMs: number;
  /** Comparisons the run must reach; fewer is a failed run (exit 3), not a passed one. */
  comparisons: number;
  /** Rows of the bypass table, all of them touched. */
  keys: number;
  /** How long a change may take to reach the cache. */
  windowMs: number;
  /** Writes per second over all writers (plain SQL and library). */
  writeRate: number;
  /** cache.get calls per second over all readers. */
  readRate: number;
  /** Keys compared per second at most while the workload runs. */
  verifyRate: number;
  /** Run `zkoc race all --chaos` beside the workload. */
  race: boolean;
  seed: number;
  /** Also write the summary as JSON to this file. */
  jsonFile: string | undefined;
}

const USAGE = `usage: npm run soak -- [--duration 12m] [--comparisons 1000000] [--keys 5000] [--window 5s]
       [--write-rate 200] [--read-rate 1000] [--verify-rate 2500] [--no-race] [--seed N] [--json FILE]`;

export function parseSoakArgs(argv: readonly string[]): SoakArgs {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      duration: { type: 'string', default: '12m' },
      comparisons: { type: 'string', default: '1000000' },
      keys: { type: 'string', default: '5000' },
      window: { type: 'string', default: '5s' },
      'write-rate': { type: 'string', default: '200' },
      'read-rate': { type: 'string', default: '1000' },
      'verify-rate': { type: 'string', default: '2500' },
      'no-race': { type: 'boolean', default: false },
      seed: { type: 'string' },
      json: { type: 'string' },
      help: { type: 'boolean', default: false },
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    process.exit(0);
  }
  return {
    durationMs: parseDurationMs(values.duration, '--duration'),
    comparisons: count(values.comparisons, '--comparisons'),
    keys: count(values.keys, '--keys'),
    windowMs: parseDurationMs(values.window, '--window'),
    writeRate: count(values['write-rate'], '--write-rate'),
    readRate: count(values['read-rate'], '--read-rate'),
    verifyRate: count(values['verify-rate'], '--verify-rate'),
    race: !values['no-race'],
    seed: values.seed === undefined ? Math.floor(Math.random() * 2 ** 31) : count(values.seed, '--seed'),
    jsonFile: values.json,
  };
}

function count(text: string, name: string): number {
  const n = Number(text);
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(n) || n <= 0)
    throw new InvalidOptionsError(`${name} must be a positive whole number, got ${JSON.stringify(text)}\n${USAGE}`);
  return n;
}
