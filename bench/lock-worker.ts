import { LockManager, ZooKeeperConnection } from '../src/zookeeper/index.js';
import { bare, bareCycle } from './bare-lock-recipe.js';
import type { LockWorkerReply, LockWorkerRequest, LockWorkerSetup } from './lock-processes.js';
import { measureFor } from './measure.js';

/**
 * One contender process of the lock benchmark: a bare client and a LockManager, each with its own
 * session, contending for one key when the parent says so. Forked by lock-processes.ts.
 */
const setup = JSON.parse(process.argv[2]!) as LockWorkerSetup;
const client = await bare(setup.connectString);
const zk = await ZooKeeperConnection.connect({ connectString: setup.connectString });
const locks = new LockManager(zk, { root: setup.oursRoot, timeoutMs: 30_000 });

const reply = (message: LockWorkerReply): void => void process.send!(message);

process.on('message', (request: LockWorkerRequest) => {
  if (request.type === 'stop') {
    void zk.close().finally(() => {
      client.close();
      process.exit(0);
    });
    return;
  }
  void (async () => {
    const cycle =
      request.side === 'floor'
        ? () => bareCycle(client, setup.bareParent)
        : async () => (await locks.acquire(setup.key)).release();
    const { latenciesMs } = await measureFor(1, request.durationMs, cycle);
    reply({ type: 'done', latenciesMs });
  })().catch((error: unknown) => reply({ type: 'failed', message: String(error) }));
});
reply({ type: 'ready' });
