import { expect, it } from 'vitest';
import { runZkoc } from '../cli/run-zkoc.js';
import { usePgFixture } from '../postgres/pg-fixture.js';

const fx = usePgFixture();

interface Doc {
  ok: boolean;
  checks: { server: string; check: string; status: string; detail: string }[];
}

it('zkoc doctor reports wal_level and warns on an inactive zkoc slot retaining WAL (the command still passes)', async () => {
  const connection = [
    '--zk',
    fx.stack.zookeeper.connectString,
    '--redis',
    fx.stack.redis.url,
    '--database-url',
    fx.stack.postgres.url,
  ];
  await fx.pool.query(`SELECT pg_create_logical_replication_slot('zkoc_idle', 'pgoutput')`);
  await fx.pool.query(
    'CREATE TABLE wal_filler AS SELECT i, repeat($1, 100) AS pad FROM generate_series(1, 20000) AS i',
    ['x'],
  );
  const run = await runZkoc(['doctor', '--json', ...connection]);
  const doc = JSON.parse(run.stdout) as Doc;
  expect(run.code).toBe(0);
  expect(doc.checks.find((c) => c.check === 'wal_level')).toMatchObject({
    status: 'ok',
    detail: expect.stringContaining('wal_level=logical'),
  });
  const slot = doc.checks.find((c) => c.check === 'slot zkoc_idle');
  expect(slot).toMatchObject({
    status: 'warn',
    detail: expect.stringMatching(/^inactive, retains [\d.]+ MiB of WAL.*pg_drop_replication_slot\('zkoc_idle'\)/),
  });
});
