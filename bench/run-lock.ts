import { startStack } from '../src/testing/index.js';
import { runLockBench } from './lock.js';

/** Standalone: starts a local stack (fsync on) and prints the lock section as JSON. */
const quick = process.argv.includes('--quick');
await using stack = await startStack({ provider: 'local' });
const section = await runLockBench({
  zookeeper: stack.zookeeper.connectString,
  redis: stack.redis.url,
  postgres: stack.postgres.url,
  scale: quick ? 0.2 : 1,
});
process.stdout.write(`${JSON.stringify(section, null, 2)}\n`);
