import type { ServerKind } from '../../errors.js';
import type { StartedServer } from '../types.js';

/**
 * Several servers handled as one (an ensemble, a cluster): every fault-injection method acts on
 * all members at once; `host`, `port` and `pid` are the first member's.
 */
export class ServerSet<M extends StartedServer> implements StartedServer {
  readonly kind: ServerKind;

  constructor(readonly members: readonly M[]) {
    this.kind = members[0]!.kind;
  }

  get host(): string {
    return this.members[0]!.host;
  }
  get port(): number {
    return this.members[0]!.port;
  }
  get pid(): number | undefined {
    return this.members[0]!.pid;
  }
  /** True when any member is paused. */
  get isPaused(): boolean {
    return this.members.some((m) => m.isPaused);
  }
  /** True when any member runs. */
  get isRunning(): boolean {
    return this.members.some((m) => m.isRunning);
  }
  async start(): Promise<void> {
    await all(this.members.map((m) => m.start()));
  }
  async stop(): Promise<void> {
    await all(this.members.map((m) => m.stop()));
  }
  async kill(): Promise<void> {
    await all(this.members.map((m) => m.kill()));
  }
  async restart(): Promise<void> {
    await this.stop();
    await this.start();
  }
  async pause(): Promise<void> {
    await all(this.members.map((m) => m.pause()));
  }
  async resume(): Promise<void> {
    await all(this.members.map((m) => m.resume()));
  }
  /** Every member's tail, each under a `==> port N <==` header. */
  async logTail(lines?: number): Promise<string> {
    const tails = await Promise.all(this.members.map(async (m) => `==> port ${m.port} <==\n${await m.logTail(lines)}`));
    return tails.join('\n');
  }
}

/** Like Promise.all, but waits for every member before throwing the first failure. */
async function all(work: Promise<void>[]): Promise<void> {
  const failure = (await Promise.allSettled(work)).find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failure) throw failure.reason;
}
