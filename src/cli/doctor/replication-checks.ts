import type pg from 'pg';
import type { CheckResult } from './check.js';

/** Bounds one query by the doctor's deadline, naming it. */
type Bounded = <T>(what: string, promise: Promise<T>) => Promise<T>;

/**
 * What `zkoc follow` needs and costs: `wal_level`, and each zkoc replication slot (named `zkoc…`),
 * active or not and the WAL it holds back. An inactive slot still retains every WAL segment
 * written since its confirmed position, so it warns: left alone, it fills the disk.
 */
export async function checkReplication(client: pg.Client, bounded: Bounded): Promise<CheckResult[]> {
  const results: CheckResult[] = [];
  const { rows: level } = await bounded('SHOW wal_level', client.query<{ wal_level: string }>('SHOW wal_level'));
  const walLevel = level[0]!.wal_level;
  results.push({
    server: 'postgres',
    check: 'wal_level',
    status: 'ok',
    detail:
      walLevel === 'logical'
        ? 'wal_level=logical: zkoc follow can stream changes'
        : `wal_level=${walLevel}: zkoc follow needs wal_level=logical (ALTER SYSTEM SET wal_level = logical, then restart)`,
  });
  const { rows: slots } = await bounded(
    'pg_replication_slots',
    client.query<{ name: string; active: boolean; pid: number | null; retained: string | null }>(
      `SELECT slot_name AS name, active, active_pid AS pid,
              pg_wal_lsn_diff(pg_current_wal_lsn(), restart_lsn)::bigint::text AS retained
         FROM pg_replication_slots WHERE slot_name LIKE 'zkoc%' ORDER BY slot_name`,
    ),
  );
  for (const slot of slots) {
    const retained = formatBytes(Number(slot.retained ?? 0));
    results.push(
      slot.active
        ? {
            server: 'postgres',
            check: `slot ${slot.name}`,
            status: 'ok',
            detail: `active (walsender PID ${slot.pid}), retains ${retained} of WAL`,
          }
        : {
            server: 'postgres',
            check: `slot ${slot.name}`,
            status: 'warn',
            detail:
              `inactive, retains ${retained} of WAL and keeps retaining: an idle slot fills the disk; ` +
              `run zkoc follow for it, or drop it: SELECT pg_drop_replication_slot('${slot.name}')`,
          },
    );
  }
  return results;
}

function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 ** 2) return `${(bytes / 1024).toFixed(1)} KiB`;
  if (bytes < 1024 ** 3) return `${(bytes / 1024 ** 2).toFixed(1)} MiB`;
  return `${(bytes / 1024 ** 3).toFixed(2)} GiB`;
}
