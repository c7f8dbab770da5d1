import { expireSession } from '../expire-session.js';
import type { ExpireSessionOptions, StackProvider, StartedStack } from '../types.js';
import { PostgresHandle } from './postgres-handle.js';
import { RedisHandle } from './redis-handle.js';
import type { ServerControl } from './server-handle.js';
import { ZooKeeperHandle } from './zookeeper-handle.js';

/** What a provider supplies once its servers answer: their controls, their addresses, and `stop`. */
export interface ProvidedStack {
  readonly provider: StackProvider;
  /** When the caller's clock started, for `startupMs`. */
  readonly startedAt: number;
  /** Servers in `myid` order (more than one is an ensemble); `connectString` when not derived from them. */
  readonly zookeeper: { readonly servers: readonly ServerControl[]; readonly connectString?: string };
  /** Nodes (more than one with `cluster` is a Redis Cluster); `urls` when not `redis://host:port`. */
  readonly redis: {
    readonly nodes: readonly ServerControl[];
    readonly cluster: boolean;
    readonly urls?: readonly string[];
  };
  /** The server and the database tests use; `url` when not `postgres://postgres@host:port/database`. */
  readonly postgres: { readonly server: ServerControl; readonly database: string; readonly url?: string };
  /** Stops what the provider started and removes its data; called at most once. */
  stop(): Promise<void>;
}

/** The one place a {@link StartedStack} is built, whichever provider started (or found) the servers. */
export function assembleStack(provided: ProvidedStack): StartedStack {
  const zookeeper = new ZooKeeperHandle(provided.zookeeper.servers, provided.zookeeper.connectString);
  const redis = new RedisHandle(provided.redis.nodes, provided.redis.cluster, provided.redis.urls);
  const postgres = new PostgresHandle(provided.postgres.server, provided.postgres.database, provided.postgres.url);
  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopping ??= provided.stop();
    return stopping;
  };
  return {
    provider: provided.provider,
    startupMs: Date.now() - provided.startedAt,
    zookeeper,
    redis,
    postgres,
    expireSession: (sessionId: Buffer, password: Buffer, options?: ExpireSessionOptions) =>
      expireSession(zookeeper.connectString, sessionId, password, options?.timeoutMs),
    stop,
    [Symbol.asyncDispose]: stop,
  };
}
