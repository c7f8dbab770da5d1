import type { Redis } from 'ioredis';

/** The parts of an ioredis command the batcher touches. */
export interface HeldCommand {
  readonly promise: Promise<unknown>;
  readonly args: readonly unknown[];
  readonly isResolved: boolean;
  reject(error: Error): void;
}
type Send = (command: HeldCommand, stream?: unknown) => unknown;
interface Socket {
  cork(): void;
  uncork(): void;
  on(event: 'data', listener: () => void): unknown;
}
interface ConnectionInternals {
  status: string;
  stream?: Socket;
  commandQueue: { readonly length: number };
  sendCommand: Send;
}

/** Past either bound, held commands are written at once, their predecessors answered or not. */
export interface BatchLimits {
  maxHeldCommands: number;
  maxHeldBytes: number;
}
export const DEFAULT_BATCH_LIMITS: Readonly<BatchLimits> = { maxHeldCommands: 1024, maxHeldBytes: 1 << 20 };

const batchers = new WeakMap<Redis, WriteBatcher>();

/**
 * Adaptive write batching (Nagle without a timer) on one ioredis connection. A command issued when
 * nothing is outstanding on the connection is written in the turn it was issued (the socket is
 * corked until `process.nextTick`, so the rest of that turn joins the same write). A command issued
 * while earlier ones are unanswered is held; when the last outstanding reply arrives, the held
 * commands are written together, in one write, on the `process.nextTick` queued from a microtask
 * after that reply: the promise reactions of the replies run first, so the readers they resume
 * join the batch; a caller issuing its command from a callback of its own joins the held batch
 * instead of costing a write of its own. Bounded by
 * {@link BatchLimits}; no timer per command. ioredis's `enableAutoPipelining` also holds the next
 * batch while one is answered, but defers even a lone command to `setImmediate` (sequential hit
 * path 0.73× of an immediate write), wraps each batch in a Pipeline, and on a Cluster does not
 * retry a batch whose commands get different MOVED replies.
 *
 * What it changes, measured (docs/performance.md): readers resumed by one batch of replies already
 * issued their commands in one turn, which the per-turn cork wrote together (63 gets per write at
 * 64 in flight, before and after); callers that each issue a command from a callback of their own
 * (requests arriving one by one) went out one write each, and now leave ~32 per write.
 *
 * It works at the command level (it wraps the connection's `sendCommand`), not at the socket:
 * a held command is not yet ioredis's, so nothing about it is wrong when the socket closes — it is
 * handed to ioredis as if issued then (offline queue and sent on the next socket, or failed as
 * ioredis fails a new command), and ioredis's `commandQueue` stays "written and unanswered", which
 * is what "outstanding" means here and what the liveness check reads ({@link heldCommands} are
 * failed with the rest). Holding a socket write instead would leave ioredis believing those
 * commands were sent, and a pipeline's commands (one socket write for many) could not be counted.
 * Commands leave in the order they were issued, so MULTI/EXEC, ASKING + its command, pipelines
 * (never split by the bound) and EVALSHA's NOSCRIPT retry keep their meaning; a Cluster's MOVED
 * retry is a new command on the target node's connection. No connection of the library blocks
 * (no pub/sub, no BLPOP): a blocking command would hold later ones until it returns, as Redis
 * itself would not run them before.
 */
export function batchWrites(redis: Redis, limits: Readonly<BatchLimits> = DEFAULT_BATCH_LIMITS): void {
  if (batchers.has(redis)) return;
  batchers.set(redis, new WriteBatcher(redis, limits));
}

const NONE: readonly HeldCommand[] = [];

/** The commands held on `redis`, oldest first (the liveness check fails them with the rest). */
export function heldCommands(redis: Redis): readonly HeldCommand[] {
  return batchers.get(redis)?.held ?? NONE;
}

class WriteBatcher {
  readonly #connection: ConnectionInternals;
  readonly #send: Send;
  readonly #limits: Readonly<BatchLimits>;
  #commands: HeldCommand[] = [];
  #streams: unknown[] = [];
  #bytes = 0;
  /** The socket corked for the current turn: while set, commands go straight into it. */
  #corked: Socket | undefined;
  #releaseQueued = false;
  readonly #watched = new WeakSet<Socket>();

  constructor(redis: Redis, limits: Readonly<BatchLimits>) {
    this.#connection = redis as unknown as ConnectionInternals;
    this.#limits = limits;
    const send = this.#connection.sendCommand;
    this.#send = send;
    this.#connection.sendCommand = (command, stream) => this.#sendCommand(command, stream);
    // A socket that closed hands the held commands to ioredis (status close/reconnecting/end).
    const release = () => this.#release();
    redis.on('close', release);
    redis.on('end', release);
  }

  get held(): readonly HeldCommand[] {
    return this.#commands;
  }

  #sendCommand(command: HeldCommand, stream: unknown): unknown {
    const connection = this.#connection;
    if (connection.status !== 'ready') {
      if (this.#commands.length > 0) this.#release(); // they were issued first
      return this.#send.call(connection, command, stream);
    }
    if (this.#corked !== undefined) return this.#send.call(connection, command, stream);
    if (this.#commands.length === 0 && connection.commandQueue.length === 0) {
      this.#open();
      return this.#send.call(connection, command, stream);
    }
    this.#hold(command, stream);
    return command.promise;
  }

  #hold(command: HeldCommand, stream: unknown): void {
    if (this.#commands.length === 0) this.#watch(this.#connection.stream);
    this.#commands.push(command);
    this.#streams.push(stream);
    this.#bytes += sizeOf(command);
    // A pipeline's commands arrive in one synchronous loop and its socket write waits for all of
    // them: releasing part of it would leave the rest waiting for replies that never come.
    if (stream !== undefined) return;
    if (this.#commands.length >= this.#limits.maxHeldCommands || this.#bytes >= this.#limits.maxHeldBytes)
      this.#release();
  }

  #release(): void {
    const commands = this.#commands;
    if (commands.length === 0) return;
    const streams = this.#streams;
    this.#commands = [];
    this.#streams = [];
    this.#bytes = 0;
    const connection = this.#connection;
    if (connection.status === 'ready' && this.#corked === undefined) this.#open();
    for (let i = 0; i < commands.length; i += 1) this.#send.call(connection, commands[i] as HeldCommand, streams[i]);
  }

  #open(): void {
    const socket = this.#connection.stream;
    if (socket === undefined) return;
    this.#corked = socket;
    socket.cork();
    process.nextTick(this.#uncork);
  }

  readonly #uncork = (): void => {
    const socket = this.#corked;
    this.#corked = undefined;
    socket?.uncork();
  };

  // ioredis's parser is a prepended 'data' listener: ours runs after it settled that chunk's replies.
  #watch(socket: Socket | undefined): void {
    if (socket === undefined || this.#watched.has(socket)) return;
    this.#watched.add(socket);
    socket.on('data', this.#onReplies);
  }

  readonly #onReplies = (): void => {
    if (this.#commands.length === 0 || this.#releaseQueued || this.#connection.commandQueue.length > 0) return;
    this.#releaseQueued = true;
    // A tick queued from a microtask runs once the microtask queue is empty: after the replies'
    // promise reactions, and the commands of the readers they resumed.
    queueMicrotask(this.#queueRelease);
  };

  readonly #queueRelease = (): void => {
    process.nextTick(this.#releaseIfAnswered);
  };

  readonly #releaseIfAnswered = (): void => {
    this.#releaseQueued = false;
    // A release past the bounds meanwhile put commands on the wire: wait for their replies too.
    if (this.#connection.commandQueue.length === 0 || this.#connection.status !== 'ready') this.#release();
  };
}

function sizeOf(command: HeldCommand): number {
  let bytes = 16;
  for (const arg of command.args) {
    if (typeof arg === 'string') bytes += arg.length;
    else if (arg instanceof Uint8Array) bytes += arg.length;
    else bytes += 8;
  }
  return bytes;
}
