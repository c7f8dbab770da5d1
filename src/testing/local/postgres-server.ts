import { spawn } from 'node:child_process';
import { chown, mkdir, open } from 'node:fs/promises';
import { join } from 'node:path';
import pg from 'pg';
import { ConnectionError } from '../../errors.js';
import { POSTGRES_SETTINGS, postgresSettingArgs } from '../stack/postgres-settings.js';
import type { ServerBinaries } from './binaries.js';
import type { LocalServerRecipe } from './local-server.js';
import { lookUpSystemUser } from './system-user.js';

/** Who PostgreSQL runs as: itself when we are root (it refuses root), else us. */
interface RunAs {
  uid?: number;
  gid?: number;
}

async function postgresRunAs(): Promise<RunAs> {
  if (process.getuid?.() !== 0) return {};
  const user = await lookUpSystemUser('postgres');
  if (!user) {
    throw new ConnectionError(
      'postgres',
      'PostgreSQL refuses to run as root and there is no `postgres` user; apt-get install -y postgresql creates it (or run the tests as a non-root user)',
    );
  }
  return user;
}

async function chownTree(paths: readonly string[], runAs: RunAs): Promise<void> {
  if (runAs.uid === undefined || runAs.gid === undefined) return;
  for (const path of paths) await chown(path, runAs.uid, runAs.gid);
}

/** Runs initdb (trust auth, no fsync: test data) and resolves when it exited 0. */
async function initdb(
  binaries: ServerBinaries,
  dataDir: string,
  logFile: string,
  runAs: RunAs,
  timeoutMs: number,
): Promise<void> {
  const log = await open(logFile, 'a');
  try {
    const child = spawn(
      join(binaries.postgresBin, 'initdb'),
      ['-D', dataDir, '-U', 'postgres', '-A', 'trust', '-E', 'UTF8', '--locale=C', '--no-sync', '--no-instructions'],
      { stdio: ['ignore', log.fd, log.fd], ...runAs },
    );
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    const code = await new Promise<number | null>((resolve, reject) => {
      child.once('error', reject);
      child.once('exit', (exitCode) => resolve(exitCode));
    }).finally(() => clearTimeout(timer));
    if (code !== 0) {
      throw new ConnectionError(
        'postgres',
        `initdb -D ${dataDir} failed (exit ${code ?? 'killed after startTimeoutMs'}); see ${logFile}`,
      );
    }
  } finally {
    await log.close();
  }
}

/** A `pg.Client` config for the local server's `postgres` superuser. */
export function superuserConfig(port: number, database: string, timeoutMs: number): pg.ClientConfig {
  return {
    host: '127.0.0.1',
    port,
    user: 'postgres',
    database,
    connectionTimeoutMillis: timeoutMs,
    query_timeout: timeoutMs,
  };
}

/** Runs one statement as the superuser over a short-lived connection. */
export async function runAsSuperuser(
  port: number,
  database: string,
  sql: string,
  timeoutMs: number,
): Promise<pg.QueryResult> {
  const client = new pg.Client(superuserConfig(port, database, timeoutMs));
  client.on('error', () => {}); // a server dying mid-query surfaces through the query's rejection
  try {
    await client.connect();
    return await client.query(sql);
  } finally {
    await client.end().catch(() => {});
  }
}

/**
 * A PostgreSQL cluster made by initdb in `dir/data` (as the `postgres` user when we are root),
 * run in the foreground with fsync off, `wal_level=logical`, and its socket in `dir`; listens on 127.0.0.1 only.
 * Ready when a real `SELECT 1` succeeds. Stopped with SIGINT (fast shutdown: SIGTERM would
 * wait for every client to disconnect).
 */
export async function postgresRecipe(
  binaries: ServerBinaries,
  dir: string,
  timeoutMs: number,
): Promise<LocalServerRecipe> {
  const runAs = await postgresRunAs();
  const dataDir = join(dir, 'data');
  const logFile = join(dir, '..', 'postgres.log');
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  await chownTree([dir, dataDir], runAs);
  await initdb(binaries, dataDir, logFile, runAs, timeoutMs);
  return {
    kind: 'postgres',
    stopSignal: 'SIGINT',
    async processFor(port) {
      return {
        command: join(binaries.postgresBin, 'postgres'),
        args: [
          '-D',
          dataDir,
          '-p',
          String(port),
          '-k',
          dir,
          // Locally also: loopback only, and no waiting on the disk the test data never needs.
          ...postgresSettingArgs([
            'listen_addresses=127.0.0.1',
            ...POSTGRES_SETTINGS,
            'synchronous_commit=off',
            'full_page_writes=off',
          ]),
        ],
        logFile,
        cwd: dir,
        ...runAs,
      };
    },
    async answers(port, probeTimeoutMs) {
      const { rows } = await runAsSuperuser(port, 'postgres', 'SELECT 1 AS one', probeTimeoutMs);
      return rows[0]?.one === 1;
    },
  };
}
