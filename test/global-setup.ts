import { checkServerBinaries } from '../src/testing/local/binaries.js';

/**
 * Fails the whole run, loudly and once, when a server binary is missing, with the exact
 * command that installs it. Tests never skip because a server is absent.
 */
export default async function setup(): Promise<void> {
  const missing = await checkServerBinaries();
  if (missing.length > 0) {
    throw new Error(
      `integration tests need real servers, and these are missing:\n` +
        missing.map((m) => `  - ${m.what}: ${m.hint}`).join('\n') +
        `\ninstall them with:\n  apt-get update && apt-get install -y zookeeper redis-server postgresql\n` +
        `or point the tests at your own servers with ZKOC_STACK_PROVIDER=external ZKOC_ZK=… ZKOC_REDIS=… DATABASE_URL=…`,
    );
  }
}
