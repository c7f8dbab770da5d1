import type { ServerKind } from '../errors.js';

/** Which machinery starts (or finds) the servers. */
export type StackProvider = 'local' | 'containers' | 'external';

/** What `startStack({ provider })` accepts: a concrete provider, or `auto` to pick one. */
export type StackProviderChoice = StackProvider | 'auto';

/** ZooKeeper server settings (applied by `local` and `containers`; `external` ignores them). */
export interface ZooKeeperServerOptions {
  /**
   * fsync the transaction log before acknowledging writes (ZooKeeper's `forceSync`).
   * @default true
   */
  fsync?: boolean;
  /**
   * ZooKeeper's tick: the granularity of session expiry. Small so tests can use short sessions.
   * @default 200
   */
  tickTimeMs?: number;
  /**
   * The lowest session timeout the server grants; clients asking for less get this.
   * @default 2 × tickTimeMs (ZooKeeper's own lower bound), i.e. 400 ms
   */
  minSessionTimeoutMs?: number;
  /**
   * The highest session timeout the server grants; clients asking for more get this.
   * @default 60_000
   */
  maxSessionTimeoutMs?: number;
  /**
   * Run ZooKeeper as a one-member ensemble (`Mode: leader`) instead of standalone
   * (`Mode: standalone`). Use it in tests that restart ZooKeeper while clients are connected: a
   * standalone 3.8 server binds its client port before loading its database, and a client that
   * reconnects in that window gets a connection that never answers and is never closed
   * (the server throws a NullPointerException while closing it), so node-zookeeper-client hangs
   * in CONNECTING. A quorum peer loads its database first. Costs ~0.5 s more start-up (leader election).
   * @default false
   */
  singleMemberEnsemble?: boolean;
  /**
   * How many ZooKeeper servers: 1 (standalone, or see `singleMemberEnsemble`) or an odd number from
   * 3 to 7 for an ensemble on loopback ports (`local` only). An ensemble's `connectString` lists
   * every server; `stack.zookeeper.servers[i]` stops/kills/pauses one of them.
   * @default 1
   */
  servers?: number;
}

/** Redis settings (`local` only, except that `external`/`containers` accept the defaults). */
export interface RedisServerOptions {
  /**
   * Start a Redis Cluster instead of one server: `masters` nodes (3 to 16) with `cluster-enabled yes`,
   * the 16384 slots split evenly (CLUSTER ADDSLOTSRANGE + CLUSTER MEET), no replicas, and
   * `cluster-require-full-coverage no` so a failed master only takes its own slots away.
   * @default undefined (one standalone server)
   */
  cluster?: { masters: number; nodeTimeoutMs?: number };
}

/** Options of {@link startStack}. */
export interface StartStackOptions {
  /**
   * `local`: fresh servers as child processes of this one; `containers`: testcontainers (needs a
   * Docker engine); `external`: servers named by env `ZKOC_ZK`, `ZKOC_REDIS`, `DATABASE_URL`;
   * `auto`: `containers` when a Docker engine answers within 2 s, else `local`.
   * @default process.env.ZKOC_STACK_PROVIDER ?? 'auto'
   */
  provider?: StackProviderChoice;
  zookeeper?: ZooKeeperServerOptions;
  redis?: RedisServerOptions;
  /**
   * Upper bound on bringing all three servers up (each server's `start()`/`restart()` uses it too).
   * @default 30_000
   */
  startTimeoutMs?: number;
}

/**
 * One running server with fault injection. Every method is bounded by the stack's
 * `startTimeoutMs` and throws a typed error (never hangs) when the server misbehaves.
 */
export interface StartedServer {
  readonly kind: ServerKind;
  /** Always a loopback address for `local`. */
  readonly host: string;
  /** Stays the same across stop/start/restart. */
  readonly port: number;
  /** The server's process id (also its process-group id), or `undefined` when stopped or not a local process. */
  readonly pid: number | undefined;
  /** True between `pause()` and `resume()`. */
  readonly isPaused: boolean;
  /** True while the server is started (paused counts as running). */
  readonly isRunning: boolean;
  /** Starts a stopped server on the same port and data directory; resolves when it answers. No-op when running. */
  start(): Promise<void>;
  /** Stops the server (SIGTERM, SIGKILL after a short grace) and waits for it to exit. Idempotent. */
  stop(): Promise<void>;
  /** `stop()` then `start()`: same port, same data (ZooKeeper keeps its sessions; Redis comes back empty). */
  restart(): Promise<void>;
  /** SIGKILLs the server at once (no clean shutdown) and waits for it to exit. Idempotent; `start()` brings it back. */
  kill(): Promise<void>;
  /** SIGSTOPs the whole process group: connections stay open but nothing answers. */
  pause(): Promise<void>;
  /** SIGCONTs the process group paused by `pause()`. No-op when not paused. */
  resume(): Promise<void>;
  /** The last `lines` lines of the server's log ('' when the provider keeps none). */
  logTail(lines?: number): Promise<string>;
}

/** One ZooKeeper server (the only one, or one member of an ensemble). */
export interface StartedZooKeeperServer extends StartedServer {
  readonly kind: 'zookeeper';
  /** The server's `myid` (1 for a single server). */
  readonly id: number;
  /** `127.0.0.1:PORT` of this server alone. */
  readonly connectString: string;
  /**
   * Sends a four-letter word (`ruok`, `srvr`, `mntr`, `wchp`, `wchc`, `cons`, `stat`, …) over a
   * fresh TCP connection and resolves with the raw reply text.
   * @throws ConnectionError when no full reply arrives within `timeoutMs` (default 2000).
   */
  fourLetterWord(word: string, options?: { timeoutMs?: number }): Promise<string>;
}

/**
 * A started ZooKeeper: one server or an ensemble. For an ensemble, `host`/`port`/`pid`/`fourLetterWord`
 * are the first server's, and `start`/`stop`/`restart`/`kill`/`pause`/`resume` act on every server at once.
 */
export interface StartedZooKeeper extends StartedZooKeeperServer {
  /** `127.0.0.1:PORT[,127.0.0.1:PORT…]`, every server, for node-zookeeper-client's `createClient`. */
  readonly connectString: string;
  /** Every server, in `myid` order; `[this]` for a single server. */
  readonly servers: readonly StartedZooKeeperServer[];
  /**
   * The server whose `srvr` reports `Mode: leader` (or `standalone`), polling the running,
   * unpaused servers until one does: blocks through an election.
   * @throws ConnectionError when none does within `timeoutMs` (default 10 000).
   */
  leader(options?: { timeoutMs?: number }): Promise<StartedZooKeeperServer>;
}

/** One Redis server (the only one, or one master of a cluster). */
export interface StartedRedisNode extends StartedServer {
  readonly kind: 'redis';
  /** `redis://127.0.0.1:PORT` of this server. */
  readonly url: string;
}

/**
 * A started Redis: one server or a cluster. For a cluster, `url`/`host`/`port`/`pid` are the first
 * node's, and `start`/`stop`/`restart`/`kill`/`pause`/`resume` act on every node at once.
 */
export interface StartedRedis extends StartedRedisNode {
  /** True for a Redis Cluster. */
  readonly isCluster: boolean;
  /** Every node's URL (`[url]` for one server): seeds for an ioredis `Cluster` or `OrderedCache`'s `redis`. */
  readonly urls: readonly string[];
  /** Every node; `[this]` for one server. */
  readonly nodes: readonly StartedRedisNode[];
}

/** A started PostgreSQL with a fresh database. */
export interface StartedPostgres extends StartedServer {
  readonly kind: 'postgres';
  /** `postgres://postgres@127.0.0.1:PORT/zkoc` for `local`. */
  readonly url: string;
  /** The database the url names (`zkoc` for `local`). */
  readonly database: string;
}

/** Options of {@link StartedStack.expireSession}. */
export interface ExpireSessionOptions {
  /** Bound on the whole operation. @default 10_000 */
  timeoutMs?: number;
}

/** A running ZooKeeper + Redis + PostgreSQL, as returned by {@link startStack}. */
export interface StartedStack extends AsyncDisposable {
  readonly provider: StackProvider;
  /** Wall-clock milliseconds from the `startStack` call until all three servers answered. */
  readonly startupMs: number;
  readonly zookeeper: StartedZooKeeper;
  readonly redis: StartedRedis;
  readonly postgres: StartedPostgres;
  /**
   * Expires a ZooKeeper session the documented way: a second client connects with the same
   * session id and password, then closes, which ends the session on the server; the original
   * client then sees the `expired` state. Resolves once the server answers "expired" for the id
   * and no connection is left on the session (checked with `cons` where the server allows it).
   * @throws ConnectionError when expiry is not confirmed within `timeoutMs`, or when the server
   *   kept a connection on the dead session (see README, "The test harness").
   */
  expireSession(sessionId: Buffer, password: Buffer, options?: ExpireSessionOptions): Promise<void>;
  /** Stops every server this stack started and removes its data. Idempotent. */
  stop(): Promise<void>;
}
