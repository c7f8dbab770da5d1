import type { StartedRedis, StartedRedisNode } from '../types.js';
import { type ServerControl, ServerHandle } from './server-handle.js';
import { ServerSet } from './server-set.js';

/** One Redis server: its URL is given (an external server's, credentials included) or `redis://host:port`. */
export class RedisNodeHandle extends ServerHandle<'redis'> implements StartedRedisNode {
  constructor(
    control: ServerControl,
    private readonly givenUrl?: string,
  ) {
    super('redis', control);
  }
  get url(): string {
    return this.givenUrl ?? `redis://${this.host}:${this.port}`;
  }
}

/** A stack's Redis: one server, or a cluster whose lifecycle calls reach every master. */
export class RedisHandle extends ServerHandle<'redis'> implements StartedRedis {
  private readonly members: readonly RedisNodeHandle[];

  /** @param urls one per control, when the provider knows them better than `redis://host:port`. */
  constructor(
    controls: readonly ServerControl[],
    readonly isCluster: boolean,
    urls?: readonly string[],
  ) {
    const nodes = controls.map((control, i) => new RedisNodeHandle(control, urls?.[i]));
    super('redis', nodes.length === 1 ? nodes[0]! : new ServerSet(nodes));
    this.members = nodes;
  }

  /** `[this]` for one server, as {@link ZooKeeperHandle.servers}. */
  get nodes(): readonly StartedRedisNode[] {
    return this.members.length === 1 ? [this] : this.members;
  }

  get url(): string {
    return this.members[0]!.url;
  }
  get urls(): readonly string[] {
    return this.members.map((n) => n.url);
  }
}
