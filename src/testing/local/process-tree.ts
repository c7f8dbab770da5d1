import { readdirSync, readFileSync } from 'node:fs';

/**
 * The pids of every descendant of `rootPid`, found by walking parent links in /proc (Linux).
 * Needed because not every server keeps its children in its process group: PostgreSQL's
 * backends each call setsid(). Returns [] where /proc is unavailable.
 */
export function descendantPids(rootPid: number): number[] {
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return [];
  }
  const childrenOf = new Map<number, number[]>();
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
    } catch {
      continue; // exited meanwhile
    }
    // "pid (comm) state ppid …": comm may contain spaces and parentheses, so parse after the last ')'.
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    const siblings = childrenOf.get(ppid) ?? [];
    siblings.push(Number(entry));
    childrenOf.set(ppid, siblings);
  }
  const found: number[] = [];
  const queue = [rootPid];
  while (queue.length > 0) {
    for (const child of childrenOf.get(queue.shift()!) ?? []) {
      found.push(child);
      queue.push(child);
    }
  }
  return found;
}

/** Sends `signal` to a pid (negative: a process group), ignoring "no such process". */
export function sendSignal(target: number, signal: NodeJS.Signals): void {
  try {
    process.kill(target, signal);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
  }
}

/**
 * Signals the process group led by `leaderPid` and then every descendant of the leader (and
 * each descendant's own group), so processes that left the group are reached too. The leader's
 * group goes first: once it is stopped or killed it cannot fork a process the walk would miss.
 */
export function signalProcessTree(leaderPid: number, signal: NodeJS.Signals): void {
  sendSignal(-leaderPid, signal);
  for (const pid of descendantPids(leaderPid)) {
    sendSignal(pid, signal);
  }
}

/**
 * Resolves once every thread of `pids` is stopped (state T/t in /proc/<pid>/task/<tid>/stat), or
 * after `timeoutMs`. `kill(SIGSTOP)` returns before the target's threads have stopped; on a loaded
 * machine a server thread can still answer a request sent right after it, which a test that pauses
 * a server must not see. Returns at once where /proc is unavailable.
 */
export async function untilStopped(pids: readonly number[], timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!pids.every(allThreadsStopped) && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
}

function allThreadsStopped(pid: number): boolean {
  let tids: string[];
  try {
    tids = readdirSync(`/proc/${pid}/task`);
  } catch {
    return true; // gone, or no /proc
  }
  return tids.every((tid) => {
    try {
      const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
      const state = stat[stat.lastIndexOf(')') + 2];
      return state === 'T' || state === 't' || state === 'Z' || state === 'X';
    } catch {
      return true; // exited meanwhile
    }
  });
}
