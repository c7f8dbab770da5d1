import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** The built CLI (`npm run build`), from .build/scripts/soak/. */
const ZKOC_BIN = fileURLToPath(new URL('../../../dist/cli/main.js', import.meta.url));

/** A zkoc child: its output so far, and its exit. */
export interface ZkocChild {
  readonly process: ChildProcess;
  readonly stdout: () => string;
  readonly stderr: () => string;
  readonly exited: Promise<number>;
  /** Called with each complete stdout line. */
  onLine(listener: (line: string) => void): void;
}

/** Starts `zkoc …args` with a clean connection environment (no ZKOC_* or DATABASE_URL). */
export function spawnZkoc(args: readonly string[]): ZkocChild {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const name of Object.keys(env)) if (name.startsWith('ZKOC_') || name === 'DATABASE_URL') delete env[name];
  const child = spawn(process.execPath, [ZKOC_BIN, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  let partial = '';
  const listeners: ((line: string) => void)[] = [];
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    out += chunk;
    partial += chunk;
    const lines = partial.split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines) for (const listener of listeners) listener(line);
  });
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    err += chunk;
  });
  const exited = new Promise<number>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code, signal) => resolve(code ?? (signal ? 128 : 1)));
  });
  return {
    process: child,
    stdout: () => out,
    stderr: () => err,
    exited,
    onLine: (listener) => listeners.push(listener),
  };
}

/** What the follower child reported: batches, changes, the worst lag, errors and retries. */
export interface FollowerSummary {
  batches: number;
  changes: number;
  maxLagMs: number;
  errors: string[];
  retries: number;
}

/** `zkoc follow … --json`: resolves `active` once it streams; `summary()` reads its events so far. */
export function startFollowChild(args: readonly string[]): {
  child: ZkocChild;
  active: Promise<void>;
  summary: () => FollowerSummary;
} {
  const child = spawnZkoc(['follow', '--json', ...args]);
  const summary: FollowerSummary = { batches: 0, changes: 0, maxLagMs: 0, errors: [], retries: 0 };
  let activated!: () => void;
  const active = new Promise<void>((resolve, reject) => {
    activated = resolve;
    child.exited.then((code) =>
      reject(new Error(`zkoc follow exited ${code} before it was active: ${child.stderr()}`)),
    );
  });
  child.onLine((line) => {
    let event: { event?: string; changes?: number; lagMs?: number; error?: string };
    try {
      event = JSON.parse(line);
    } catch {
      return;
    }
    if (event.event === 'active') activated();
    else if (event.event === 'batch') {
      summary.batches++;
      summary.changes += event.changes ?? 0;
      summary.maxLagMs = Math.max(summary.maxLagMs, event.lagMs ?? 0);
    } else if (event.event === 'retry') summary.retries++;
    else if (event.event === 'error') summary.errors.push(line);
  });
  return { child, active, summary: () => ({ ...summary, errors: [...summary.errors] }) };
}
