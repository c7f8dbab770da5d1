import { serveWorker } from '../src/testing/worker/serve-worker.js';
import { LockManager, ZooKeeperConnection } from '../src/zookeeper/index.js';
import { bare, bareCycle } from './bare-lock-recipe.js';
import type { LockWorkerCommand, LockWorkerRound, LockWorkerSetup } from './lock-processes.js';
import { measureFor } from './measure.js';

/**
 * One contender process of the lock benchmark: a bare client and a LockManager, each with its own
 * session, contending for one key when the parent says so. Started by lock-processes.ts; speaks
 * the line protocol (src/testing/worker/line-protocol.ts).
 */
const setup = JSON.parse(process.argv[2]!) as LockWorkerSetup;
const client = await bare(setup.connectString);
const zk = await ZooKeeperConnection.connect({ connectString: setup.connectString });
const locks = new LockManager(zk, { root: setup.oursRoot, timeoutMs: 30_000 });

async function handle(command: LockWorkerCommand): Promise<LockWorkerRound | Record<string, never>> {
  if (command.op === 'stop') {
    await zk.close().finally(() => client.close());
    setImmediate(() => process.exit(0));
    return {};
  }
  const cycle =
    command.side === 'floor'
      ? () => bareCycle(client, setup.bareParent)
      : async () => (await locks.acquire(setup.key)).release();
  const { latenciesMs } = await measureFor(1, command.durationMs, cycle);
  return { latenciesMs };
}

await serveWorker(handle);
// stdin closed: the parent is gone.
process.exit(0);
