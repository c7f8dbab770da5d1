import { mkdir } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { tcpExchange } from '../tcp-exchange.js';
import type { ServerBinaries } from './binaries.js';
import type { LocalServerRecipe } from './local-server.js';
import { redisCommand } from './redis-command.js';

/** Settings of one Redis Cluster node. */
export interface RedisClusterNodeSettings {
  /** `cluster-node-timeout`: how long a silent master takes to be marked failed. */
  nodeTimeoutMs: number;
  /**
   * Set once the cluster is formed: from then on a (re)started node is ready only when it reports
   * `cluster_state:ok`, not merely when it answers PING.
   */
  isFormed(): boolean;
}

/**
 * A Redis without persistence on 127.0.0.1 (so a restart brings it back empty, which tests use
 * to check script reloading). Ready when PING answers PONG. With `cluster`, a cluster node whose
 * `nodes.conf` stays in `dir`, so a restarted node keeps its identity and slots (but not its data).
 */
export function redisRecipe(
  binaries: ServerBinaries,
  dir: string,
  cluster?: RedisClusterNodeSettings,
): LocalServerRecipe {
  const clusterArgs = cluster
    ? [
        '--cluster-enabled',
        'yes',
        '--cluster-config-file',
        'nodes.conf',
        '--cluster-node-timeout',
        String(cluster.nodeTimeoutMs),
        // One failed master must not take the other masters' slots down with it.
        '--cluster-require-full-coverage',
        'no',
        '--cluster-allow-reads-when-down',
        'yes',
      ]
    : [];
  return {
    kind: 'redis',
    stopSignal: 'SIGTERM',
    async processFor(port) {
      await mkdir(dir, { recursive: true });
      return {
        command: binaries.redisServer,
        args: [
          '--port',
          String(port),
          '--bind',
          '127.0.0.1',
          '--save',
          '',
          '--appendonly',
          'no',
          '--dir',
          dir,
          '--daemonize',
          'no',
          '--logfile',
          '',
          ...clusterArgs,
        ],
        logFile: join(dir, '..', `${basename(dir)}.log`),
        cwd: dir,
      };
    },
    async answers(port, timeoutMs) {
      const reply = await tcpExchange('redis', '127.0.0.1', port, 'PING\r\n', {
        timeoutMs,
        isComplete: (text) => text.includes('\r\n'),
      });
      if (!reply.startsWith('+PONG')) return false;
      if (!cluster?.isFormed()) return true;
      return /^cluster_state:ok/m.test(await redisCommand(port, 'CLUSTER INFO', timeoutMs));
    },
  };
}
