import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { settlesWithin } from '../../core/deadline.js';
import { descendantPids, sendSignal, signalProcessTree, untilStopped } from './process-tree.js';
import { forgetProcessGroup, reapProcessGroupOnExit } from './reaper.js';

/** How to spawn one server process. Always an argv array, never a shell string. */
export interface ProcessSpec {
  command: string;
  args: readonly string[];
  /** stdout and stderr are appended here. */
  logFile: string;
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** Run as this user (only when we are root; e.g. PostgreSQL refuses to run as root). */
  uid?: number;
  gid?: number;
}

/**
 * A server running in the foreground as our direct child, leader of its own process group
 * (`detached: true`). Signals go to the group and to every descendant that left it
 * (PostgreSQL's backends call setsid()).
 * Registered with the reaper while it runs.
 */
export class ProcessGroup {
  readonly pid: number;
  /** Resolves with the exit code or signal once the leader has exited. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private hasExited = false;

  private constructor(child: ChildProcess) {
    this.pid = child.pid!;
    this.exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        this.hasExited = true;
        resolve({ code, signal });
      });
    });
  }

  /**
   * Spawns the process and registers its group with the reaper.
   * @throws Error when the executable cannot be spawned (e.g. ENOENT).
   */
  static async spawn(spec: ProcessSpec): Promise<ProcessGroup> {
    const logFd = openSync(spec.logFile, 'a');
    try {
      const child = spawn(spec.command, [...spec.args], {
        cwd: spec.cwd,
        env: spec.env ?? process.env,
        detached: true,
        stdio: ['ignore', logFd, logFd],
        ...(spec.uid === undefined ? {} : { uid: spec.uid }),
        ...(spec.gid === undefined ? {} : { gid: spec.gid }),
      });
      await new Promise<void>((resolve, reject) => {
        child.once('spawn', resolve);
        child.once('error', reject);
      });
      const group = new ProcessGroup(child);
      reapProcessGroupOnExit(group.pid);
      // A server must not keep the test process alive; stop() and the reaper end it.
      child.unref();
      return group;
    } finally {
      closeSync(logFd);
    }
  }

  /** True once the leader process has exited. */
  get isExited(): boolean {
    return this.hasExited;
  }

  /** Sends `signal` to every process in the group and to every descendant that left it. */
  signal(signal: NodeJS.Signals): void {
    if (!this.hasExited) signalProcessTree(this.pid, signal);
  }

  /** SIGSTOPs the group and its descendants, and resolves once all their threads have stopped (≤ 2 s). */
  async pause(): Promise<void> {
    if (this.hasExited) return;
    this.signal('SIGSTOP');
    await untilStopped([this.pid, ...descendantPids(this.pid)], 2_000);
  }

  /**
   * Asks the group to stop with `signal` (resuming it first if stopped), SIGKILLs the group after
   * `graceMs`, waits for the leader to exit, then SIGKILLs any straggler in the group.
   */
  async terminate(signal: NodeJS.Signals, graceMs: number): Promise<void> {
    if (!this.hasExited) {
      this.signal(signal);
      this.signal('SIGCONT'); // a SIGSTOPped process cannot act on SIGTERM
      await settlesWithin(this.exited, graceMs);
      if (!this.hasExited) signalProcessTree(this.pid, 'SIGKILL');
      await this.exited;
    }
    sendSignal(-this.pid, 'SIGKILL'); // group members that outlived the leader
    forgetProcessGroup(this.pid);
  }
}
