import { execFile } from 'node:child_process';

/**
 * True when a Docker engine answers `docker info` within `timeoutMs` (default 2000).
 * False when there is no `docker` CLI, no engine, or it is too slow. Never throws.
 */
export function dockerEngineAnswers(timeoutMs = 2_000): Promise<boolean> {
  return new Promise((resolve) => {
    execFile(
      'docker',
      ['info', '--format', '{{.ServerVersion}}'],
      { timeout: timeoutMs, killSignal: 'SIGKILL' },
      (error, stdout) => {
        resolve(!error && stdout.trim().length > 0);
      },
    );
  });
}
