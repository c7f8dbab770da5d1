import { ConnectionError } from '../../errors.js';
import { pollUntil } from '../polling.js';
import { redisCommand } from './redis-command.js';

const SLOTS = 16_384;
const COMMAND_TIMEOUT_MS = 1_000;

/** The slot range node `index` of `count` gets: an even split, the last node taking the remainder. */
export function slotRange(index: number, count: number): { first: number; last: number } {
  return { first: Math.floor((index * SLOTS) / count), last: Math.floor(((index + 1) * SLOTS) / count) - 1 };
}

/**
 * Turns empty cluster-enabled Redis nodes on 127.0.0.1 into one cluster, the way
 * `redis-cli --cluster create --cluster-replicas 0` does, without needing redis-cli: distinct config
 * epochs, an even slot split (CLUSTER ADDSLOTSRANGE), then CLUSTER MEET from the first node.
 * Resolves when every node reports `cluster_state:ok`, all 16384 slots assigned and every node known.
 * @throws ConnectionError naming the node that is not there yet when `deadline` (epoch ms) passes.
 */
export async function formRedisCluster(ports: readonly number[], deadline: number): Promise<void> {
  await Promise.all(
    ports.map(async (port, i) => {
      await redisCommand(port, `CLUSTER SET-CONFIG-EPOCH ${i + 1}`, COMMAND_TIMEOUT_MS);
      const { first, last } = slotRange(i, ports.length);
      await redisCommand(port, `CLUSTER ADDSLOTSRANGE ${first} ${last}`, COMMAND_TIMEOUT_MS);
    }),
  );
  for (const port of ports.slice(1))
    await redisCommand(ports[0]!, `CLUSTER MEET 127.0.0.1 ${port}`, COMMAND_TIMEOUT_MS);
  let lastInfo = '';
  const formed = await pollUntil(
    async () => {
      for (const port of ports) {
        const info = await redisCommand(port, 'CLUSTER INFO', COMMAND_TIMEOUT_MS);
        lastInfo = `port ${port}: ${info.replace(/\r\n/g, ' ').slice(0, 200)}`;
        const agreed =
          /^cluster_state:ok/m.test(info) &&
          new RegExp(`^cluster_slots_assigned:${SLOTS}`, 'm').test(info) &&
          new RegExp(`^cluster_known_nodes:${ports.length}\\b`, 'm').test(info);
        if (!agreed) return false;
      }
      return true;
    },
    { deadline, intervalMs: 50 },
  );
  if (!formed.ok)
    throw new ConnectionError(
      'redis',
      `Redis Cluster on ports ${ports.join(',')} did not form before the start deadline; last CLUSTER INFO ${lastInfo}`,
    );
}
