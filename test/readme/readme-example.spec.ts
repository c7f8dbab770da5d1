import { execFile } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StartedStack } from '../../src/testing/index.js';
import { startTestStack } from '../support/stack.js';

const root = fileURLToPath(new URL('../../', import.meta.url));

/** The text between `<!-- name:start -->` and `<!-- name:end -->`, first fenced block inside it. */
function fencedBlock(readme: string, marker: string): string {
  const section = readme.split(`<!-- ${marker}:start -->`)[1]?.split(`<!-- ${marker}:end -->`)[0];
  const code = section && /```\w*\n([\s\S]*?)```/.exec(section)?.[1];
  if (!code) throw new Error(`README has no fenced block between the ${marker} markers`);
  return code;
}

describe('README', () => {
  let stack: StartedStack;
  beforeAll(async () => {
    stack = await startTestStack();
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it('the usage example runs against real servers (importing the built package by name) and prints what the README says', async () => {
    const readme = await readFile(`${root}README.md`, 'utf8');
    const example = fencedBlock(readme, 'readme-example');
    const expected = /prints\s*```text\n([\s\S]*?)```/.exec(readme.split('<!-- readme-example:end -->')[1]!)?.[1];
    expect(expected).toBeTruthy();
    // Inside the package, `import 'zk-ordered-cache'` resolves to ./dist through package.json exports.
    await mkdir(`${root}.zkoc`, { recursive: true });
    const file = `${root}.zkoc/readme-example.mjs`;
    await writeFile(file, example);
    const { stdout } = await promisify(execFile)(process.execPath, [file], {
      env: {
        ...process.env,
        ZKOC_ZK: stack.zookeeper.connectString,
        ZKOC_REDIS: stack.redis.url,
        DATABASE_URL: stack.postgres.url,
      },
      timeout: 30_000,
    });
    expect(stdout).toBe(expected);
  });
});
