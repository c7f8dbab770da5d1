import pg from 'pg';
import { afterAll, beforeAll } from 'vitest';
import type { StartedStack } from '../../src/testing/index.js';
import { startTestStack } from '../support/stack.js';

/** A started stack and a pool on its fresh database, shared by the tests of one file. */
export interface PgFixture {
  stack: StartedStack;
  pool: pg.Pool;
  /** A dedicated connection, closed in afterAll. */
  connect(): Promise<pg.Client>;
}

/** Starts the file's stack (test/support/stack.ts) in beforeAll and stops it in afterAll; read the fixture inside tests. */
export function usePgFixture(): PgFixture {
  const fixture = {} as PgFixture;
  const clients: pg.Client[] = [];
  beforeAll(async () => {
    fixture.stack = await startTestStack();
    fixture.pool = new pg.Pool({
      connectionString: fixture.stack.postgres.url,
      max: 12,
      connectionTimeoutMillis: 5_000,
    });
    // An idle client's error (the server stopping under it) is the pool's 'error' event, which
    // without a listener is an uncaught exception that fails the whole run (seen once in CI:
    // 57P01 at the end of a file). Idle clients take no part in any test's result.
    fixture.pool.on('error', () => undefined);
    fixture.connect = async () => {
      const client = new pg.Client({ connectionString: fixture.stack.postgres.url, connectionTimeoutMillis: 5_000 });
      await client.connect();
      clients.push(client);
      return client;
    };
  });
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.end().catch(() => undefined)));
    await fixture.pool?.end();
    await fixture.stack?.stop();
  });
  return fixture;
}
