import { describe, expect, it } from 'vitest';
import { deleteVersioned, ensureVersionColumn, loadVersioned } from '../../src/postgres/index.js';
import { usePgFixture } from './pg-fixture.js';

describe('deleteVersioned', () => {
  const fx = usePgFixture();

  it('returns a version above the deleted row and below a later re-insert', async () => {
    await fx.pool.query(`CREATE TABLE items (id int PRIMARY KEY, v text)`);
    await ensureVersionColumn(fx.pool, { table: 'items' });
    await fx.pool.query(`INSERT INTO items VALUES (1, 'a'), (2, 'b')`);
    const before = await loadVersioned(fx.pool, `SELECT * FROM items WHERE id = 1`);

    const deleted = await deleteVersioned(fx.pool, 'items', 'id = $1', [1]);
    expect(deleted.deletedRows).toBe(1);
    expect(deleted.timestamp).toBeGreaterThan(before!.timestamp);
    expect((await fx.pool.query(`SELECT id FROM items ORDER BY id`)).rows).toEqual([{ id: 2 }]);

    await fx.pool.query(`INSERT INTO items VALUES (1, 'again')`);
    const reinserted = await loadVersioned(fx.pool, `SELECT * FROM items WHERE id = 1`);
    expect(reinserted!.timestamp).toBeGreaterThan(deleted.timestamp);

    const none = await deleteVersioned(fx.pool, 'public.items', 'id = $1', [42]);
    expect(none.deletedRows).toBe(0);
    expect(none.timestamp).toBeGreaterThan(reinserted!.timestamp);
  });

  it('takes its version after waiting for the row lock, so it orders after a concurrent update', async () => {
    await fx.pool.query(`CREATE TABLE locked (id int PRIMARY KEY, v text)`);
    await ensureVersionColumn(fx.pool, { table: 'locked' });
    await fx.pool.query(`INSERT INTO locked VALUES (1, 'a')`);
    const updater = await fx.connect();
    const deleter = await fx.connect();
    const deleterPid = (await deleter.query(`SELECT pg_backend_pid() AS pid`)).rows[0].pid as number;

    await updater.query('BEGIN');
    await updater.query(`UPDATE locked SET v = 'b' WHERE id = 1`); // holds the row lock
    const pending = deleteVersioned(deleter, 'locked', 'id = $1', [1]);
    // Wait (bounded) until the delete is blocked on the row lock, then let the update take a higher version and commit.
    const giveUpAt = Date.now() + 5_000;
    while (
      (await fx.pool.query(`SELECT wait_event_type FROM pg_stat_activity WHERE pid = $1`, [deleterPid])).rows[0]
        ?.wait_event_type !== 'Lock'
    ) {
      if (Date.now() > giveUpAt) throw new Error('the delete never waited on the row lock within 5000 ms');
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    await updater.query(`UPDATE locked SET v = 'c' WHERE id = 1`);
    const lastUpdate = (await updater.query(`SELECT cache_version::text AS v FROM locked WHERE id = 1`)).rows[0]
      .v as string;
    await updater.query('COMMIT');

    const deleted = await pending;
    expect(deleted.deletedRows).toBe(1);
    expect(deleted.timestamp).toBeGreaterThan(BigInt(lastUpdate));
  });
});
