import { ConnectionError } from '../errors.js';
import { pollUntil } from './polling.js';
import type { StartedZooKeeperServer } from './types.js';

const PROBE_TIMEOUT_MS = 500;

/**
 * Polls the running, unpaused servers with `srvr` until one reports `Mode: leader` (or
 * `standalone`) and resolves with it: during an election nobody does, so this blocks through it.
 * @throws ConnectionError naming each server's last answer when no leader shows up within `timeoutMs`.
 */
export async function findLeader(
  servers: readonly StartedZooKeeperServer[],
  timeoutMs = 10_000,
): Promise<StartedZooKeeperServer> {
  const lastSeen = new Map<number, string>();
  let leader: StartedZooKeeperServer | undefined;
  await pollUntil(
    async () => {
      const candidates = servers.filter((s) => s.isRunning && !s.isPaused);
      const modes = await Promise.all(
        candidates.map(async (server) => {
          try {
            const mode =
              /^Mode: (\w+)/m.exec(await server.fourLetterWord('srvr', { timeoutMs: PROBE_TIMEOUT_MS }))?.[1] ??
              'not serving';
            lastSeen.set(server.id, mode);
            return mode;
          } catch (error) {
            lastSeen.set(server.id, error instanceof Error ? error.message : String(error));
            return 'unreachable';
          }
        }),
      );
      leader = candidates.find((_, i) => modes[i] === 'leader' || modes[i] === 'standalone');
      return leader !== undefined;
    },
    { deadline: Date.now() + timeoutMs, intervalMs: 50 },
  );
  if (leader) return leader;
  const states = servers.map(
    (s) =>
      `server ${s.id} (port ${s.port}): ${s.isPaused ? 'paused' : s.isRunning ? (lastSeen.get(s.id) ?? 'not probed') : 'stopped'}`,
  );
  throw new ConnectionError(
    'zookeeper',
    `no ZooKeeper server reported Mode: leader within timeoutMs=${timeoutMs}; ${states.join('; ')}`,
  );
}
