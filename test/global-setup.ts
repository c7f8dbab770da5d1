import { checkServerBinaries } from '../src/testing/local/binaries.js';
import { EXTERNAL_ENV, missingExternalEnv, testStackProvider } from './support/stack-mode.js';

/**
 * Fails the whole run, loudly and once, when the chosen servers cannot be had: a server binary
 * missing for `local` (with the exact command that installs it), or an env variable missing for
 * `external`. Tests never skip because a server is absent.
 */
export default async function setup(): Promise<void> {
  const provider = testStackProvider(process.env);
  const missingEnv = missingExternalEnv(provider, process.env);
  if (missingEnv.length > 0) {
    throw new Error(
      `ZKOC_STACK_PROVIDER=external needs ${missingEnv.join(', ')}, e.g.\n` +
        Object.entries(EXTERNAL_ENV)
          .map(([name, example]) => `  ${name}=${example}`)
          .join('\n'),
    );
  }
  if (provider !== 'local') return;
  const missing = await checkServerBinaries();
  if (missing.length > 0) {
    throw new Error(
      `integration tests need real servers, and these are missing:\n` +
        missing.map((m) => `  - ${m.what}: ${m.hint}`).join('\n') +
        `\ninstall them with:\n  apt-get update && apt-get install -y zookeeper redis-server postgresql\n` +
        `or point the tests at your own servers with ZKOC_STACK_PROVIDER=external ZKOC_ZK=… ZKOC_REDIS=… DATABASE_URL=… (README, "Development")`,
    );
  }
}
