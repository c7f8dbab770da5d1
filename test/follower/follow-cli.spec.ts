import { describe, expect, it } from 'vitest';
import { runZkoc } from '../cli/run-zkoc.js';

// Usage errors are refused before any server is contacted (the addresses below do not exist).
describe('zkoc follow: usage errors exit 2 naming the flag', () => {
  const servers = ['--zk', '127.0.0.1:1', '--redis', 'redis://127.0.0.1:1', '--timeout-ms', '500'];

  it('a --table without a {column} template', async () => {
    const run = await runZkoc([
      'follow',
      ...servers,
      '--database-url',
      'postgres://u@127.0.0.1:1/x',
      '--table',
      'products=product',
    ]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(`--table must be 'table=key template with {column}', got "products=product"`);
  });

  it('no --table at all', async () => {
    const run = await runZkoc(['follow', ...servers, '--database-url', 'postgres://u@127.0.0.1:1/x']);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('--table');
  });

  it('no --database-url (or DATABASE_URL)', async () => {
    const run = await runZkoc(['follow', ...servers, '--table', 'products=product:{id}']);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('--database-url (or DATABASE_URL) is required');
  });
});
