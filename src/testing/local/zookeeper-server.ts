import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fourLetterWord } from '../four-letter-word.js';
import type { ZooKeeperServerOptions } from '../types.js';
import type { ServerBinaries } from './binaries.js';
import { findFreePort } from './free-port.js';
import type { LocalServerRecipe } from './local-server.js';

/** The resolved ZooKeeper settings with every default applied. */
export interface ZooKeeperSettings {
  fsync: boolean;
  tickTimeMs: number;
  minSessionTimeoutMs: number;
  maxSessionTimeoutMs: number;
  singleMemberEnsemble: boolean;
}

/** Applies the documented defaults of {@link ZooKeeperServerOptions}. */
export function zooKeeperSettings(options: ZooKeeperServerOptions = {}): ZooKeeperSettings {
  const tickTimeMs = options.tickTimeMs ?? 200;
  return {
    fsync: options.fsync ?? true,
    tickTimeMs,
    minSessionTimeoutMs: options.minSessionTimeoutMs ?? 2 * tickTimeMs,
    maxSessionTimeoutMs: options.maxSessionTimeoutMs ?? 60_000,
    singleMemberEnsemble: options.singleMemberEnsemble ?? false,
  };
}

/** Where one member of an ensemble sits among its peers (ports chosen once, before any member starts). */
export interface EnsembleMembership {
  /** This server's `myid`, 1-based. */
  myid: number;
  /** Quorum and election ports of every member, index `myid - 1`. */
  members: readonly { peer: number; election: number }[];
}

// Quick JVM start-up (~0.3 s): a server that lives for one test file never needs C2 or a parallel GC.
const JVM_FLAGS = ['-Xmx256m', '-XX:+UseSerialGC', '-XX:TieredStopAtLevel=1', '-Xshare:auto'];

/**
 * A standalone ZooKeeper 3.8 (QuorumPeerMain with a generated zoo.cfg) on 127.0.0.1, data in
 * `dir/data`, kept across restarts so sessions survive a restart shorter than their timeout.
 * Ready when `srvr` reports a `Mode:` (`ruok` says imok before the server serves requests).
 */
export function zooKeeperRecipe(
  binaries: ServerBinaries,
  dir: string,
  settings: ZooKeeperSettings,
  ensemble?: EnsembleMembership,
): LocalServerRecipe {
  // Quorum ports are chosen once per client port, so a restart reuses them.
  let quorumPorts: { clientPort: number; peer: number; election: number } | undefined;
  return {
    kind: 'zookeeper',
    stopSignal: 'SIGTERM',
    async processFor(port) {
      await mkdir(join(dir, 'data'), { recursive: true });
      await writeFile(join(dir, 'data', 'myid'), `${ensemble?.myid ?? 1}\n`);
      if (quorumPorts?.clientPort !== port)
        quorumPorts = { clientPort: port, peer: await findFreePort(), election: await findFreePort() };
      const quorum = ensemble
        ? [
            'standaloneEnabled=false',
            'reconfigEnabled=false',
            ...ensemble.members.map((m, i) => `server.${i + 1}=127.0.0.1:${m.peer}:${m.election}:participant`),
            'initLimit=10',
            'syncLimit=5',
          ]
        : settings.singleMemberEnsemble
          ? [
              'standaloneEnabled=false',
              'reconfigEnabled=false',
              `server.1=127.0.0.1:${quorumPorts.peer}:${quorumPorts.election}:participant`,
              'initLimit=10',
              'syncLimit=5',
            ]
          : [];
      const config = join(dir, 'zoo.cfg');
      await writeFile(
        config,
        [
          `tickTime=${settings.tickTimeMs}`,
          `dataDir=${join(dir, 'data')}`,
          `clientPort=${port}`,
          'clientPortAddress=127.0.0.1',
          `minSessionTimeout=${settings.minSessionTimeoutMs}`,
          `maxSessionTimeout=${settings.maxSessionTimeoutMs}`,
          `forceSync=${settings.fsync ? 'yes' : 'no'}`,
          'admin.enableServer=false',
          '4lw.commands.whitelist=*',
          // 1 MB log preallocation instead of 64 MB: many short-lived servers share one disk.
          'preAllocSize=1024',
          // See ZooKeeperServerOptions.singleMemberEnsemble: a quorum peer loads its database
          // before it accepts clients; a standalone server does not.
          // An ensemble member also waits for a quorum before it serves anyone.
          ...quorum,
          'maxClientCnxns=0',
          '',
        ].join('\n'),
      );
      return {
        command: binaries.java,
        args: [
          ...JVM_FLAGS,
          // A paused peer accepts TCP connections and never answers: bound the election's connect
          // attempts to it (default 5 s) so a new leader is elected quickly without it.
          '-Dzookeeper.cnxTimeout=1000',
          // One NIO worker: with several, expireSession's impostor connect and the owner's
          // instant reconnect can be processed concurrently, and ZooKeeper 3.8 then closes the
          // session while leaving the owner connected to it, its pings silently dropped
          // (3 in 1,000 expiries measured). Serialized, 0 in 1,000. See zookeeper-session-close.ts.
          '-Dzookeeper.nio.numWorkerThreads=1',
          '-Dzookeeper.root.logger=INFO,CONSOLE',
          '-Dzookeeper.console.threshold=INFO',
          '-cp',
          binaries.zookeeperClasspath.join(':'),
          'org.apache.zookeeper.server.quorum.QuorumPeerMain',
          config,
        ],
        logFile: join(dir, '..', ensemble ? `zookeeper-${ensemble.myid}.log` : 'zookeeper.log'),
        cwd: dir,
      };
    },
    async answers(port, timeoutMs) {
      return /^Mode: /m.test(await fourLetterWord('127.0.0.1', port, 'srvr', { timeoutMs }));
    },
  };
}
