import { execFile, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** The connection flags of a zkoc run against `stack`, in `namespace`, with a 3 s bound. */
export function connectionFlags(
  stack: { zookeeper: { connectString: string }; redis: { url: string } },
  namespace: string,
): string[] {
  return ['--zk', stack.zookeeper.connectString, '--redis', stack.redis.url, '-n', namespace, '--timeout-ms', '3000'];
}

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
export function runZkoc(
  args: readonly string[],
  options: { env?: Record<string, string>; timeoutMs?: number } = {},
): Promise<ZkocRun> {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const name of Object.keys(env)) if (name.startsWith('ZKOC_') || name === 'DATABASE_URL') delete env[name];
  Object.assign(env, options.env);
  const started = performance.now();
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      [ZKOC_BIN, ...args],
      { env, timeout: options.timeoutMs ?? 30_000, encoding: 'utf8' },
      (error, stdout, stderr) => {
        const durationMs = performance.now() - started;
        if (error && typeof error.code !== 'number') {
          reject(new Error(`zkoc ${args.join(' ')} did not exit by itself (${error.message}); stderr: ${stderr}`));
          return;
        }
        resolve({ code: error ? (error.code as number) : 0, stdout, stderr, durationMs });
      },
    );
  });
}

/** A long-running `zkoc` (e.g. `watch`) whose output is collected as it arrives. */
export interface RunningZkoc {
  readonly stdout: () => string;
  readonly stderr: () => string;
  /** Resolves once `condition(stdout, stderr)` holds; throws naming what was seen after `timeoutMs` or if zkoc exits first. */
  waitFor(condition: (stdout: string, stderr: string) => boolean, timeoutMs: number, what: string): Promise<void>;
  /** Sends SIGINT (Ctrl-C) and resolves with the exit code. */
  interrupt(): Promise<number | null>;
  /** Sends `signal` and resolves with the exit code (null when the signal killed it unhandled). */
  stop(signal: NodeJS.Signals): Promise<number | null>;
}

/** Starts the built `zkoc` with `args` and leaves it running; the caller must `interrupt()` it. */
export function spawnZkoc(args: readonly string[]): RunningZkoc {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const name of Object.keys(env)) if (name.startsWith('ZKOC_') || name === 'DATABASE_URL') delete env[name];
  const child = spawn(process.execPath, [ZKOC_BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return {
    stdout: () => stdout,
    stderr: () => stderr,
    async waitFor(condition, timeoutMs, what) {
      const deadline = performance.now() + timeoutMs;
      while (!condition(stdout, stderr)) {
        if (child.exitCode !== null || performance.now() > deadline) {
          throw new Error(
            `${what}: not seen within ${timeoutMs} ms (exit code ${child.exitCode}); stdout: ${stdout}; stderr: ${stderr}`,
          );
        }
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    },
    async interrupt() {
      child.kill('SIGINT');
      return exited;
    },
    async stop(signal) {
      child.kill(signal);
      return exited;
    },
  };
}
