import { type ChildProcess, spawn } from 'node:child_process';
import { ZKOC_BIN } from '../cli/run-zkoc.js';

/** A `zkoc follow --json` process and the NDJSON events it printed. */
export interface FollowProcess {
  readonly child: ChildProcess;
  readonly events: Record<string, unknown>[];
  readonly stderr: () => string;
  /** Resolves with the first event matching `test` (already printed or to come); throws after `timeoutMs` or on exit. */
  waitFor(
    test: (event: Record<string, unknown>) => boolean,
    timeoutMs: number,
    what: string,
  ): Promise<Record<string, unknown>>;
  /** Resolves with the exit code (or the signal that ended it). */
  readonly exited: Promise<number | string>;
}

/** Starts the built `zkoc follow --json` with `args`. */
export function spawnFollow(args: readonly string[]): FollowProcess {
  const child = spawn(process.execPath, [ZKOC_BIN, 'follow', '--json', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  const events: Record<string, unknown>[] = [];
  let partial = '';
  let stderr = '';
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
    const lines = (partial + chunk).split('\n');
    partial = lines.pop()!;
    for (const line of lines) if (line.trim()) events.push(JSON.parse(line) as Record<string, unknown>);
  });
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const exited = new Promise<number | string>((resolve) =>
    child.on('exit', (code, signal) => resolve(code ?? signal ?? -1)),
  );
  return {
    child,
    events,
    stderr: () => stderr,
    exited,
    async waitFor(test, timeoutMs, what) {
      const deadline = performance.now() + timeoutMs;
      for (;;) {
        const found = events.find(test);
        if (found) return found;
        if (child.exitCode !== null || child.signalCode !== null || performance.now() > deadline)
          throw new Error(
            `${what}: not seen within ${timeoutMs} ms; events: ${JSON.stringify(events)}; stderr: ${stderr}`,
          );
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    },
  };
}
