import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findServerBinaries } from '../local/binaries.js';
import { LocalServer } from '../local/local-server.js';
import { forgetDirectory, removeDirectoryOnExit } from '../local/reaper.js';
import { redisRecipe } from '../local/redis-server.js';

/** Three Redis servers for the `redlock` strategy's locks. */
export interface RedlockServers {
  readonly urls: readonly string[];
  stop(): Promise<void>;
}

/**
 * Starts the three independent Redis processes Redlock needs (no persistence, loopback, free
 * ports), in parallel; bounded by `startTimeoutMs` each. The reaper kills them if this process dies.
 * @throws ConnectionError when one does not answer in time (the others are stopped).
 */
export async function startRedlockServers(startTimeoutMs = 30_000): Promise<RedlockServers> {
  const binaries = await findServerBinaries();
  const dir = await mkdtemp(join(tmpdir(), 'zkoc-redlock-'));
  removeDirectoryOnExit(dir);
  const servers = [1, 2, 3].map(
    (i) =>
      new LocalServer(redisRecipe(binaries, join(dir, `redis-${i}`)), {
        host: '127.0.0.1',
        logFile: join(dir, `redis-${i}.log`),
        startTimeoutMs,
        stopGraceMs: 3_000,
      }),
  );
  const stop = async (): Promise<void> => {
    await Promise.all(servers.map((s) => s.stop()));
    await rm(dir, { recursive: true, force: true });
    forgetDirectory(dir);
  };
  const failed = (await Promise.allSettled(servers.map((s) => s.launch()))).find(
    (r): r is PromiseRejectedResult => r.status === 'rejected',
  );
  if (failed) {
    await stop();
    throw failed.reason;
  }
  return { urls: servers.map((s) => `redis://${s.host}:${s.port}`), stop };
}
