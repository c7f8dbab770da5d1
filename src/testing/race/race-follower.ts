import pg from 'pg';
import { OrderedCache } from '../../cache/ordered-cache.js';
import { sleep } from '../../core/deadline.js';
import { ensureVersionColumn, type Follower, startFollower } from '../../postgres/index.js';
import type { CellSetup } from './scenarios/scenario.js';

/** A follower waits this long for its election and first stream before the cell gives up. */
const ACTIVE_TIMEOUT_MS = 30_000;
/** After close, the slot's walsender can linger a moment: dropping the slot is retried this long. */
const DROP_TIMEOUT_MS = 10_000;
const LABEL = 'zkoc-race-follower';

/**
 * Starts `zkoc follow`'s engine for one race cell, in the runner process: its own OrderedCache on
 * the run's namespace (so its tombstones take the same per-key locks as the workers' fills), a
 * slot and publication of their own on the race table, each changed row tombstoned under the
 * cell's key for it. Resolves once the follower is active. Disposing it closes the follower and
 * drops the slot and publication: a slot left behind retains WAL until someone drops it.
 * @throws Error when the follower is not active within 30 s; the follower's own errors
 *   (WalLevelError, ReplicationPrivilegeError…) when the database cannot stream.
 */
export async function startRaceFollower(setup: CellSetup): Promise<AsyncDisposable> {
  const pool = new pg.Pool({ connectionString: setup.servers.postgres, max: 1 });
  pool.on('error', () => {});
  let cache: OrderedCache<string> | undefined;
  let follower: Follower | undefined;
  const stop = async () => {
    await follower?.close();
    if (follower) await dropSlot(pool, follower.slot);
    await cache?.close();
    await pool.end().catch(() => {});
  };
  try {
    // A DELETE carries the deleted row's version only under REPLICA IDENTITY FULL (the follower checks).
    await ensureVersionColumn(pool, { table: setup.table, replicaIdentityFull: true });
    cache = await OrderedCache.connect<string>({
      zookeeper: { connectString: setup.servers.zookeeper, sessionTimeoutMs: 10_000 },
      redis: setup.servers.redis,
      namespace: setup.namespace,
      lockTimeoutMs: 30_000,
      label: LABEL,
    });
    follower = await startFollower({
      database: setup.servers.postgres,
      cache,
      tables: { [setup.table]: (row) => setup.keyOf(Number(row.id)) },
      label: LABEL,
    });
    await untilActive(follower);
  } catch (error) {
    await stop().catch(() => {});
    throw error;
  }
  return { [Symbol.asyncDispose]: stop };
}

function untilActive(follower: Follower): Promise<void> {
  if (follower.active) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`race follower: not active within ${ACTIVE_TIMEOUT_MS} ms (slot ${follower.slot})`)),
      ACTIVE_TIMEOUT_MS,
    );
    follower.events.once('active', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

/** Drops the cell's slot and publication (the slot may stay active a moment after close: retried). */
async function dropSlot(pool: pg.Pool, slot: string): Promise<void> {
  const deadline = performance.now() + DROP_TIMEOUT_MS;
  for (;;) {
    try {
      await pool.query('SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = $1', [
        slot,
      ]);
      break;
    } catch (error) {
      // 55006: the slot is still active (its walsender has not exited yet).
      if ((error as { code?: string }).code !== '55006' || performance.now() > deadline) throw error;
      await sleep(100);
    }
  }
  await pool.query(`DROP PUBLICATION IF EXISTS ${slot}`);
}
