import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StartedStack } from '../../src/testing/index.js';
import { startTestStack } from '../support/stack.js';
import { connectionFlags, runZkoc } from './run-zkoc.js';

const NAMESPACE = 'cli-writes';

describe('zkoc set and invalidate (through the lock and the compare script)', () => {
  let stack: StartedStack;
  let connection: string[];

  beforeAll(async () => {
    stack = await startTestStack();
    connection = connectionFlags(stack, NAMESPACE);
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it('prints written, stale and duplicate, and never goes backwards', async () => {
    const key = 'order/42 ü';
    const written = await runZkoc(['set', key, '{"price":50}', '--ts', '9223372036854775806', ...connection]);
    expect(written.stderr).toBe('');
    expect(written.code).toBe(0);
    expect(written.stdout).toBe(`written: value for "${key}" at timestamp 9223372036854775806\n`);

    const stale = await runZkoc(['set', key, '{"price":100}', '--ts', '5', ...connection]);
    expect(stale.code).toBe(0);
    expect(stale.stdout).toBe(
      `stale: "${key}" already holds timestamp 9223372036854775806, newer than 5; nothing changed\n`,
    );

    const duplicate = await runZkoc([
      'set',
      key,
      '{"price":50}',
      '--ts',
      '9223372036854775806',
      ...connection,
      '--json',
    ]);
    expect(JSON.parse(duplicate.stdout)).toEqual({
      key,
      kind: 'value',
      status: 'duplicate',
      timestamp: '9223372036854775806',
      current: '9223372036854775806',
    });

    const get = JSON.parse((await runZkoc(['get', key, ...connection, '--json'])).stdout) as {
      entry: { value: unknown; writer: string };
    };
    expect(get.entry.value).toEqual({ price: 50 });
    expect(get.entry.writer).toBe('zkoc');
  });

  it('stores JSON when the value parses as JSON, else the text; --string forces text', async () => {
    await runZkoc(['set', 'n', '42', '--ts', '1', ...connection]);
    await runZkoc(['set', 's', 'hello world', '--ts', '1', ...connection]);
    await runZkoc(['set', 'q', '42', '--ts', '1', '--string', ...connection]);
    const values = await Promise.all(
      ['n', 's', 'q'].map(
        async (k) =>
          (JSON.parse((await runZkoc(['get', k, ...connection, '--json'])).stdout) as { entry: { value: unknown } })
            .entry.value,
      ),
    );
    expect(values).toEqual([42, 'hello world', '42']);
  });

  it('invalidate writes a tombstone that rejects older writes', async () => {
    const key = 'product:7';
    await runZkoc(['set', key, '1', '--ts', '10', ...connection]);
    const tomb = await runZkoc(['invalidate', key, '--ts', '11', ...connection]);
    expect(tomb.code).toBe(0);
    expect(tomb.stdout).toBe(`written: tombstone for "${key}" at timestamp 11\n`);
    const late = await runZkoc(['set', key, '2', '--ts', '10', ...connection]);
    expect(late.stdout).toMatch(/^stale: /);
    const ts = await runZkoc(['ts', key, ...connection]);
    expect(ts.stdout).toBe('11\n');
    expect((await runZkoc(['get', key, ...connection])).stdout).toMatch(/^kind:\s+tombstone$/m);
  });
});
