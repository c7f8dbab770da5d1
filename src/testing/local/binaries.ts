import { constants } from 'node:fs';
import { access, readdir } from 'node:fs/promises';
import { delimiter, join } from 'node:path';

/** Where the `local` provider finds each server. */
export interface ServerBinaries {
  java: string;
  /** ZooKeeper's jar followed by the logging jars that make its log readable (when installed). */
  zookeeperClasspath: string[];
  redisServer: string;
  /** PostgreSQL's bin directory (holds `initdb` and `postgres`). */
  postgresBin: string;
}

/** A server binary that could not be found, and how to get it. */
export interface MissingBinary {
  what: string;
  hint: string;
}

const DEFAULT_ZOOKEEPER_JAR = '/usr/share/java/zookeeper.jar';
// Without an SLF4J binding ZooKeeper logs nothing, and a failed start would have no log tail.
const ZOOKEEPER_LOGGING_JARS = ['/usr/share/java/slf4j-log4j12.jar', '/usr/share/java/log4j-1.2.jar'];
const ZOOKEEPER_CONF_DIR = '/etc/zookeeper/conf';
const POSTGRES_ROOT = '/usr/lib/postgresql';

async function isExecutable(path: string): Promise<boolean> {
  try {
    await access(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

async function isReadable(path: string): Promise<boolean> {
  try {
    await access(path, constants.R_OK);
    return true;
  } catch {
    return false;
  }
}

/** Resolves a bare command name on PATH (like `which`), or checks an absolute/relative path. */
async function findExecutable(command: string): Promise<string | undefined> {
  if (command.includes('/')) return (await isExecutable(command)) ? command : undefined;
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (dir && (await isExecutable(join(dir, command)))) return join(dir, command);
  }
  return undefined;
}

/** The newest `/usr/lib/postgresql/<major>/bin` that has both initdb and postgres. */
async function findPostgresBin(): Promise<string | undefined> {
  const override = process.env.ZKOC_PG_BIN;
  if (override) return (await hasPostgresTools(override)) ? override : undefined;
  let majors: string[];
  try {
    majors = await readdir(POSTGRES_ROOT);
  } catch {
    return undefined;
  }
  const newestFirst = majors.filter((m) => /^\d+$/.test(m)).sort((a, b) => Number(b) - Number(a));
  for (const major of newestFirst) {
    const bin = join(POSTGRES_ROOT, major, 'bin');
    if (await hasPostgresTools(bin)) return bin;
  }
  return undefined;
}

async function hasPostgresTools(bin: string): Promise<boolean> {
  return (await isExecutable(join(bin, 'initdb'))) && (await isExecutable(join(bin, 'postgres')));
}

interface Lookup {
  binaries: Partial<ServerBinaries>;
  missing: MissingBinary[];
}

async function lookUp(): Promise<Lookup> {
  const missing: MissingBinary[] = [];
  const binaries: Partial<ServerBinaries> = {};

  const java = await findExecutable(process.env.ZKOC_JAVA ?? 'java');
  if (java) binaries.java = java;
  else
    missing.push({
      what: 'java (runs ZooKeeper)',
      hint: `not found (${process.env.ZKOC_JAVA ? `ZKOC_JAVA=${process.env.ZKOC_JAVA}` : 'on PATH'}); apt-get install -y zookeeper (pulls in a JRE), or set ZKOC_JAVA`,
    });

  const jar = process.env.ZKOC_ZOOKEEPER_JAR ?? DEFAULT_ZOOKEEPER_JAR;
  if (await isReadable(jar)) {
    const logging = [];
    for (const extra of ZOOKEEPER_LOGGING_JARS) if (await isReadable(extra)) logging.push(extra);
    binaries.zookeeperClasspath = [ZOOKEEPER_CONF_DIR, jar, ...logging];
  } else {
    missing.push({
      what: 'ZooKeeper jar',
      hint: `${jar} not found${process.env.ZKOC_ZOOKEEPER_JAR ? ' (from ZKOC_ZOOKEEPER_JAR)' : ''}; apt-get install -y zookeeper, or set ZKOC_ZOOKEEPER_JAR`,
    });
  }

  const redis = await findExecutable(process.env.ZKOC_REDIS_SERVER ?? 'redis-server');
  if (redis) binaries.redisServer = redis;
  else
    missing.push({
      what: 'redis-server',
      hint: `${process.env.ZKOC_REDIS_SERVER ? `${process.env.ZKOC_REDIS_SERVER} (from ZKOC_REDIS_SERVER)` : 'redis-server on PATH'} not found; apt-get install -y redis-server, or set ZKOC_REDIS_SERVER`,
    });

  const pgBin = await findPostgresBin();
  if (pgBin) binaries.postgresBin = pgBin;
  else
    missing.push({
      what: 'PostgreSQL initdb/postgres',
      hint: `${process.env.ZKOC_PG_BIN ? `${process.env.ZKOC_PG_BIN}/{initdb,postgres} (from ZKOC_PG_BIN)` : `${POSTGRES_ROOT}/<major>/bin/{initdb,postgres}`} not found; apt-get install -y postgresql, or set ZKOC_PG_BIN`,
    });

  return { binaries, missing };
}

/**
 * Lists the server binaries the `local` provider needs but cannot find, each with a hint that
 * names the env override (`ZKOC_JAVA`, `ZKOC_ZOOKEEPER_JAR`, `ZKOC_REDIS_SERVER`, `ZKOC_PG_BIN`)
 * and the apt package. Resolves `[]` when everything is there. Never throws.
 */
export async function checkServerBinaries(): Promise<MissingBinary[]> {
  return (await lookUp()).missing;
}

/**
 * Finds every server binary.
 * @throws Error listing what is missing and the exact `apt-get install -y …` command.
 */
export async function findServerBinaries(): Promise<ServerBinaries> {
  const { binaries, missing } = await lookUp();
  if (missing.length > 0) {
    throw new Error(
      `the local stack provider needs these server binaries:\n` +
        missing.map((m) => `  - ${m.what}: ${m.hint}`).join('\n') +
        `\ninstall them with:\n  apt-get update && apt-get install -y zookeeper redis-server postgresql`,
    );
  }
  return binaries as ServerBinaries;
}
