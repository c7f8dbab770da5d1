import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** The built binary; `npm test` builds it in `pretest`. */
export const ZKOC_BIN = fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url));

/** What one `zkoc` run produced. */
export interface ZkocRun {
  code: number;
  stdout: string;
  stderr: string;
  durationMs: number;
}

/**
 * Runs the built `zkoc` with `args` and resolves with its exit code, stdout and stderr.
 * The child gets a clean connection environment (no ZKOC_* / DATABASE_URL from the caller) plus `env`.
 */
export function runZkoc(args: readonly string[], options: { env?: Record<string, string>; timeoutMs?: number } = {}): Promise<ZkocRun> {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const name of Object.keys(env)) if (name.startsWith('ZKOC_') || name === 'DATABASE_URL') delete env[name];
  Object.assign(env, options.env);
  const started = performance.now();
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [ZKOC_BIN, ...args], { env, timeout: options.timeoutMs ?? 30_000, encoding: 'utf8' }, (error, stdout, stderr) => {
      const durationMs = performance.now() - started;
      if (error && typeof error.code !== 'number') {
        reject(new Error(`zkoc ${args.join(' ')} did not exit by itself (${error.message}); stderr: ${stderr}`));
        return;
      }
      resolve({ code: error ? (error.code as number) : 0, stdout, stderr, durationMs });
    });
  });
}
