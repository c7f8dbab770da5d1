import type { ServerKind } from '../../errors.js';
import type { StartedServer } from '../types.js';

/**
 * What a provider hands over for one server it started (a local process, a container) or found
 * (an external address): its address and its fault-injection lifecycle. Handles add the rest.
 */
export type ServerControl = StartedServer;

/**
 * A started server as tests see it: every lifecycle call goes to the provider's control, so a
 * handle works the same over a process, a container or an address someone else runs. Getters
 * stay live (a container's port can change on restart).
 */
export class ServerHandle<K extends ServerKind> implements StartedServer {
  constructor(
    readonly kind: K,
    protected readonly control: ServerControl,
  ) {}

  get host(): string {
    return this.control.host;
  }
  get port(): number {
    return this.control.port;
  }
  get pid(): number | undefined {
    return this.control.pid;
  }
  get isPaused(): boolean {
    return this.control.isPaused;
  }
  get isRunning(): boolean {
    return this.control.isRunning;
  }
  start(): Promise<void> {
    return this.control.start();
  }
  stop(): Promise<void> {
    return this.control.stop();
  }
  restart(): Promise<void> {
    return this.control.restart();
  }
  kill(): Promise<void> {
    return this.control.kill();
  }
  pause(): Promise<void> {
    return this.control.pause();
  }
  resume(): Promise<void> {
    return this.control.resume();
  }
  logTail(lines?: number): Promise<string> {
    return this.control.logTail(lines);
  }
}
