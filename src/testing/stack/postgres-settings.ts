/**
 * The settings every test PostgreSQL runs with, local process or container: no fsync (the data is
 * thrown away), and logical replication for the change-stream follower (startFollower); each test
 * file has its own server, and a follower test holds a few slots and walsenders at most.
 */
export const POSTGRES_SETTINGS: readonly string[] = [
  'fsync=off',
  'wal_level=logical',
  'max_replication_slots=16',
  'max_wal_senders=16',
];

/** `settings` as `postgres` arguments: `-c name=value` each. */
export function postgresSettingArgs(settings: readonly string[]): string[] {
  return settings.flatMap((setting) => ['-c', setting]);
}
