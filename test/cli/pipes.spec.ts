import { execFile, spawn } from 'node:child_process';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OrderedStore } from '../../src/redis/index.js';
import type { StartedStack } from '../../src/testing/index.js';
import { startTestStack } from '../support/stack.js';
import { ZKOC_BIN } from './run-zkoc.js';

const NAMESPACE = 'cli-pipes';
// More rows than a pipe holds (64 KiB), so `head -1` leaves while zkoc is still writing.
const ENTRIES = 1500;

/** Runs zkoc with its stdout's reading end closed before it prints anything. */
function runWithClosedStdout(args: readonly string[]): Promise<{ code: number | null; stderr: string }> {
  const child = spawn(process.execPath, [ZKOC_BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout.destroy();
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stderr })));
}

describe('zkoc writing into a pipe whose reader has left', () => {
  let stack: StartedStack;
  let connection: string[];

  beforeAll(async () => {
    stack = await startTestStack();
    connection = ['--zk', stack.zookeeper.connectString, '--redis', stack.redis.url, '-n', NAMESPACE];
    const redis = new Redis(stack.redis.url);
    const store = new OrderedStore<unknown>(redis, { namespace: NAMESPACE });
    await Promise.all(
      Array.from({ length: ENTRIES }, (_, i) => store.write(`product:${String(i).padStart(5, '0')}`, { i }, 1)),
    );
    await redis.quit();
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it('`zkoc scan | head -1` prints one row and zkoc exits 0 without a stack trace', async () => {
    const { stdout, stderr } = await new Promise<{ stdout: string; stderr: string }>((resolve, reject) =>
      execFile(
        'bash',
        [
          '-c',
          // biome-ignore lint/suspicious/noTemplateCurlyInString: a bash expansion, not a JS template
          'set -o pipefail; "$0" "$1" scan --limit 5000 "${@:2}" | head -1',
          process.execPath,
          ZKOC_BIN,
          ...connection,
        ],
        { encoding: 'utf8', timeout: 30_000 },
        (error, out, err) =>
          error ? reject(new Error(`exit ${error.code}: ${err}`)) : resolve({ stdout: out, stderr: err }),
      ),
    );
    expect(stdout).toMatch(/^KEY\s+KIND\s+TIMESTAMP/i);
    expect(stderr).toBe('');
  });

  for (const command of [
    ['get', 'product:00001'],
    ['scan', '--limit', '5000'],
    ['locks'],
    ['ts', 'product:00002'],
    ['--help'],
  ]) {
    it(`zkoc ${command.join(' ')} with stdout closed exits 0 and prints nothing to stderr`, async () => {
      const { code, stderr } = await runWithClosedStdout([...command, ...connection]);
      expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
    });
  }
});
