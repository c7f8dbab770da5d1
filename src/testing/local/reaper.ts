import { type ChildProcess, spawn } from 'node:child_process';
import type { Writable } from 'node:stream';

/**
 * The reaper: a tiny detached node process that outlives us. We tell it, over its stdin pipe,
 * which process groups and directories we own. When the pipe closes — we exited for any reason,
 * SIGKILL included, since the kernel closes our end — it SIGKILLs those groups and deletes those
 * directories. Shipped as source text run with `node -e`, so it works the same from `src/` under
 * vitest and from `dist/` with no build step to copy assets.
 *
 * Protocol: one JSON array per line, `["+group", pgid]`, `["-group", pgid]`, `["+dir", path]`, `["-dir", path]`.
 */
const REAPER_SOURCE = `
'use strict';
const { readdirSync, readFileSync, rmSync } = require('node:fs');
const groups = new Set();
const dirs = new Set();
let pending = '';
let reaping = false;
function handle(line) {
  let message;
  try { message = JSON.parse(line); } catch { return; }
  const [op, arg] = message;
  if (op === '+group') groups.add(arg);
  else if (op === '-group') groups.delete(arg);
  else if (op === '+dir') dirs.add(arg);
  else if (op === '-dir') dirs.delete(arg);
}
// Descendants that left the group (PostgreSQL backends call setsid()) are found through /proc
// while their parent still lives, i.e. before anything is killed.
function descendants(root) {
  const childrenOf = new Map();
  let entries = [];
  try { entries = readdirSync('/proc'); } catch {}
  for (const entry of entries) {
    if (!/^[0-9]+$/.test(entry)) continue;
    let stat;
    try { stat = readFileSync('/proc/' + entry + '/stat', 'utf8'); } catch { continue; }
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    if (!childrenOf.has(ppid)) childrenOf.set(ppid, []);
    childrenOf.get(ppid).push(Number(entry));
  }
  const found = [];
  const queue = [root];
  while (queue.length > 0) {
    for (const child of childrenOf.get(queue.shift()) || []) { found.push(child); queue.push(child); }
  }
  return found;
}
function killAll() {
  const victims = [];
  for (const pgid of groups) victims.push(-pgid, ...descendants(pgid));
  for (const target of victims) {
    try { process.kill(target, 'SIGKILL'); } catch {}
  }
}
function reap() {
  if (reaping) return;
  reaping = true;
  killAll();
  // Give the kernel a moment to tear the processes down before deleting what they had open.
  setTimeout(() => {
    killAll();
    for (const dir of dirs) {
      try { rmSync(dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 50 }); } catch {}
    }
    process.exit(0);
  }, 150);
}
process.on('SIGINT', () => {});
process.on('SIGTERM', reap);
process.on('SIGHUP', () => {});
process.stdin.setEncoding('utf8');
process.stdin.on('data', (chunk) => {
  pending += chunk;
  let newline;
  while ((newline = pending.indexOf('\\n')) >= 0) {
    handle(pending.slice(0, newline));
    pending = pending.slice(newline + 1);
  }
});
process.stdin.on('end', reap);
process.stdin.on('close', reap);
process.stdin.on('error', reap);
`;

let reaper: { child: ChildProcess; stdin: Writable } | undefined;

function send(op: string, arg: number | string): void {
  if (!reaper) {
    const child = spawn(process.execPath, ['-e', REAPER_SOURCE], {
      detached: true, // its own process group and session: a Ctrl-C aimed at us does not reach it
      stdio: ['pipe', 'ignore', 'ignore'],
    });
    const stdin = child.stdin!;
    // Neither the reaper nor its pipe may keep this process alive.
    child.unref();
    (stdin as Writable & { unref?: () => void }).unref?.();
    stdin.on('error', () => {}); // the reaper died; nothing useful to do
    child.on('exit', () => {
      if (reaper?.child === child) reaper = undefined;
    });
    reaper = { child, stdin };
  }
  reaper.stdin.write(`${JSON.stringify([op, arg])}\n`);
}

/** Makes the reaper SIGKILL process group `pgid` if this process dies before {@link forgetProcessGroup}. */
export function reapProcessGroupOnExit(pgid: number): void {
  send('+group', pgid);
}

/** The group was stopped normally: the reaper must not signal it (its id may be reused later). */
export function forgetProcessGroup(pgid: number): void {
  send('-group', pgid);
}

/** Makes the reaper delete `dir` (recursively) if this process dies before {@link forgetDirectory}. */
export function removeDirectoryOnExit(dir: string): void {
  send('+dir', dir);
}

/** The directory was removed normally. */
export function forgetDirectory(dir: string): void {
  send('-dir', dir);
}

/** The reaper's pid, if it runs (for tests). */
export function reaperPid(): number | undefined {
  return reaper?.child.pid;
}
