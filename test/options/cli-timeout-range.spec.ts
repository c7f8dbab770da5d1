import { describe, expect, it } from 'vitest';
import { runZkoc, spawnZkoc } from '../cli/run-zkoc.js';
import { useStack } from '../support/stack.js';

// `--timeout-ms` has one range, 1 to 2^53-1 ms, and every value in it works: the built CLI is run
// against live servers at the values that used to break (300001 doubled past the session cap;
// 3e9 past what a timer can wait, which fired every probe at once with TimeoutOverflowWarnings).
describe('zkoc --timeout-ms: every value in the documented range works', () => {
  const stack = useStack();
  const connection = () => [
    '--zk',
    stack().zookeeper.connectString,
    '--redis',
    stack().redis.url,
    '-n',
    'timeout-range',
  ];

  it('zkoc locks --timeout-ms 300001 lists locks (its session timeout is derived within the cap)', async () => {
    const run = await runZkoc(['locks', ...connection(), '--timeout-ms', '300001', '--json']);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ namespace: 'timeout-range' });
  });

  it('zkoc doctor --timeout-ms 3000000000 passes against live servers: no deadline fires early, no warning', async () => {
    const run = await runZkoc([
      'doctor',
      ...connection(),
      '--database-url',
      stack().postgres.url,
      '--timeout-ms',
      '3000000000',
    ]);
    expect(run.stderr).toBe('');
    expect(run.stdout).not.toMatch(/no answer within|FAIL/);
    expect(run.stdout).toMatch(/^all checks passed/m);
    expect(run.code).toBe(0);
  });

  it('zkoc set and get with the largest --timeout-ms write and read through the cache', async () => {
    const largest = String(Number.MAX_SAFE_INTEGER);
    const set = await runZkoc(['set', 'k', '42', '--ts', '7', ...connection(), '--timeout-ms', largest]);
    expect(set.stderr).toBe('');
    expect(set.code).toBe(0);
    expect(set.stdout).toMatch(/written/);
    const get = await runZkoc(['ts', 'k', ...connection(), '--timeout-ms', largest]);
    expect(get.stderr).toBe('');
    expect(get.stdout.trim()).toBe('7');
  });

  it('zkoc watch --timeout-ms 3000000000 starts watching and stops on Ctrl-C, without a warning', async () => {
    const watch = spawnZkoc(['watch', ...connection(), '--timeout-ms', '3000000000']);
    try {
      await watch.waitFor((_, stderr) => stderr.includes('Ctrl-C to stop'), 10_000, 'watch start');
    } finally {
      expect(await watch.interrupt()).toBe(130);
    }
    expect(watch.stderr()).not.toMatch(/Warning|could not open/);
  });

  it.each([
    ['0', '0'],
    ['past 2^53-1', '9007199254740992'],
    ['a fraction', '1.5'],
  ])('rejects %s as a usage error naming the range', async (_what, value) => {
    const run = await runZkoc(['locks', ...connection(), '--timeout-ms', value]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(
      `--timeout-ms must be a whole number of milliseconds from 1 to 9007199254740991, got "${value}"`,
    );
  });
});
