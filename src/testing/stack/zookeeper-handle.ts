import { fourLetterWord } from '../four-letter-word.js';
import type { StartedZooKeeper, StartedZooKeeperServer } from '../types.js';
import { findLeader } from '../zookeeper-leader.js';
import { type ServerControl, ServerHandle } from './server-handle.js';
import { ServerSet } from './server-set.js';

/** One ZooKeeper server: its own `host:port` and four-letter words. */
export class ZooKeeperServerHandle extends ServerHandle<'zookeeper'> implements StartedZooKeeperServer {
  constructor(
    control: ServerControl,
    readonly id: number,
  ) {
    super('zookeeper', control);
  }
  get connectString(): string {
    return `${this.host}:${this.port}`;
  }
  fourLetterWord(word: string, options?: { timeoutMs?: number }): Promise<string> {
    return fourLetterWord(this.host, this.port, word, options);
  }
}

/**
 * A stack's ZooKeeper: one server, or an ensemble whose lifecycle calls reach every member and
 * whose `host`/`port`/`pid`/`fourLetterWord` are the first member's.
 */
export class ZooKeeperHandle extends ServerHandle<'zookeeper'> implements StartedZooKeeper {
  readonly id = 1;
  private readonly members: readonly ZooKeeperServerHandle[];
  private readonly givenConnectString: string | undefined;

  /**
   * @param controls the servers in `myid` order.
   * @param connectString what clients are given when it is not every member's `host:port`
   *   (an external server's, chroot included).
   */
  constructor(controls: readonly ServerControl[], connectString?: string) {
    const members = controls.map((control, i) => new ZooKeeperServerHandle(control, i + 1));
    super('zookeeper', members.length === 1 ? members[0]! : new ServerSet(members));
    this.members = members;
    this.givenConnectString = connectString;
  }

  get connectString(): string {
    return this.givenConnectString ?? this.members.map((m) => m.connectString).join(',');
  }
  /** `[this]` for one server, so that its `leader()` is the stack's ZooKeeper itself. */
  get servers(): readonly StartedZooKeeperServer[] {
    return this.members.length === 1 ? [this] : this.members;
  }
  fourLetterWord(word: string, options?: { timeoutMs?: number }): Promise<string> {
    return this.members[0]!.fourLetterWord(word, options);
  }
  leader(options?: { timeoutMs?: number }): Promise<StartedZooKeeperServer> {
    return findLeader(this.servers, options?.timeoutMs);
  }
}
