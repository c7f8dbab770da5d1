import { readFile } from 'node:fs/promises';
import { ConnectionError, type ServerKind } from '../../errors.js';
import { pollUntil } from '../polling.js';
import type { StartedServer } from '../types.js';
import { findFreePort } from './free-port.js';
import { ProcessGroup, type ProcessSpec } from './process-group.js';

/** What differs between ZooKeeper, Redis and PostgreSQL; everything else is {@link LocalServer}. */
export interface LocalServerRecipe {
  readonly kind: ServerKind;
  /** The process to run for `port` (may write config files first). */
  processFor(port: number): Promise<ProcessSpec>;
  /** One readiness probe; `false` or a throw mean "not yet". Must return within `timeoutMs`. */
  answers(port: number, timeoutMs: number): Promise<boolean>;
  /** The signal that asks for a clean, fast shutdown. */
  readonly stopSignal: NodeJS.Signals;
}

/** Settings shared by every server of one stack. */
export interface LocalServerSettings {
  host: string;
  logFile: string;
  startTimeoutMs: number;
  /** SIGKILL the group when it has not exited this long after the stop signal. */
  stopGraceMs: number;
}

const PORT_ATTEMPTS = 3;
const PROBE_TIMEOUT_MS = 1_000;

/** A server process we started, with stop/start/restart/pause/resume. */
export class LocalServer implements StartedServer {
  readonly kind: ServerKind;
  readonly host: string;
  private currentPort = 0;
  private group: ProcessGroup | undefined;
  private paused = false;
  private readonly recipe: LocalServerRecipe;
  private readonly settings: LocalServerSettings;

  constructor(recipe: LocalServerRecipe, settings: LocalServerSettings) {
    this.kind = recipe.kind;
    this.host = settings.host;
    this.recipe = recipe;
    this.settings = settings;
  }

  /**
   * First start: picks a free port and starts the server on it, trying another port when the
   * server exits before answering (another process took the port between our check and its bind).
   * @throws ConnectionError with the log tail when it does not answer within `startTimeoutMs`.
   */
  async launch(): Promise<void> {
    const deadline = Date.now() + this.settings.startTimeoutMs;
    for (let attempt = 1; ; attempt += 1) {
      this.currentPort = await findFreePort();
      const outcome = await this.startProcess(deadline);
      if (outcome === 'ready') return;
      if (outcome === 'exited' && attempt < PORT_ATTEMPTS && Date.now() < deadline) continue;
      throw await this.startFailure(outcome);
    }
  }

  get port(): number {
    return this.currentPort;
  }

  get pid(): number | undefined {
    return this.group && !this.group.isExited ? this.group.pid : undefined;
  }

  get isPaused(): boolean {
    return this.paused;
  }

  get isRunning(): boolean {
    return this.group !== undefined && !this.group.isExited;
  }

  async start(): Promise<void> {
    if (this.isRunning) return;
    const outcome = await this.startProcess(Date.now() + this.settings.startTimeoutMs);
    if (outcome !== 'ready') throw await this.startFailure(outcome);
  }

  async stop(): Promise<void> {
    const group = this.group;
    this.group = undefined;
    this.paused = false;
    if (group) await group.terminate(this.recipe.stopSignal, this.settings.stopGraceMs);
  }

  async kill(): Promise<void> {
    const group = this.group;
    this.group = undefined;
    this.paused = false;
    if (group) await group.terminate('SIGKILL', 0);
  }

  async restart(): Promise<void> {
    await this.stop();
    await this.start();
  }

  async pause(): Promise<void> {
    if (!this.group || this.group.isExited) {
      throw new ConnectionError(this.kind, `cannot pause ${this.kind} on port ${this.currentPort}: it is not running`);
    }
    this.paused = true;
    await this.group.pause();
  }

  async resume(): Promise<void> {
    if (!this.paused) return;
    this.group?.signal('SIGCONT');
    this.paused = false;
  }

  async logTail(lines = 30): Promise<string> {
    try {
      const text = await readFile(this.settings.logFile, 'utf8');
      return text
        .split('\n')
        .slice(-lines - 1)
        .join('\n')
        .trimEnd();
    } catch {
      return '';
    }
  }

  private async startProcess(deadline: number): Promise<'ready' | 'exited' | 'timeout'> {
    const group = await ProcessGroup.spawn(await this.recipe.processFor(this.currentPort));
    this.group = group;
    this.paused = false;
    const probeTimeoutMs = PROBE_TIMEOUT_MS;
    const result = await pollUntil(() => this.recipe.answers(this.currentPort, probeTimeoutMs), {
      deadline,
      intervalMs: 25,
      stopEarly: () => group.isExited,
    });
    if (result.ok) return 'ready';
    const outcome = group.isExited ? 'exited' : 'timeout';
    await this.stop();
    return outcome;
  }

  private async startFailure(outcome: 'exited' | 'timeout'): Promise<ConnectionError> {
    const why =
      outcome === 'exited'
        ? 'exited before answering'
        : `did not answer within startTimeoutMs=${this.settings.startTimeoutMs}`;
    return new ConnectionError(
      this.kind,
      `local ${this.kind} on ${this.host}:${this.currentPort} ${why}; log ${this.settings.logFile} ends with:\n${await this.logTail()}`,
    );
  }
}
