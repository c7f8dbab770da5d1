import type { Cluster, Redis } from 'ioredis';
import { forEachConnection } from './redis-connections.js';
import { heldCommands } from './redis-write-batching.js';

// The parts of an ioredis connection the check reads. `commandQueue` holds the commands written
// and awaiting their reply, `offlineQueue` those awaiting a ready connection; both FIFO (denque).
// Between them, in issue order, come the commands the write batcher holds until the written ones
// are answered.
interface PendingCommand {
  readonly isResolved: boolean;
  reject(error: Error): void;
}
interface CommandDeque {
  readonly length: number;
  peekAt(index: number): { command: PendingCommand } | undefined;
}
interface ConnectionInternals {
  commandQueue: CommandDeque;
  offlineQueue: CommandDeque;
  options: { host?: string; port?: number };
}

const watched = new WeakSet<Redis>();

/**
 * Bounds a stuck Redis connection with ONE interval timer per connection, where ioredis's
 * `commandTimeout` arms a timer per command (the issue measured 146k → 115k pipelined GETs/s at 64 in
 * flight). Each tick looks at the oldest command still waiting, for its reply or for the connection.
 * Replies come back in order, so while the connection makes progress that command changes (a
 * command held by the write batcher is never the oldest while written ones wait); when
 * the same one has been the oldest for `timeoutMs`, nothing came back in that time, and every
 * waiting command is rejected with "Command timed out: …" (what ioredis's own timeout says, and
 * what the store maps to ConnectionError). Like ioredis's timeout, it leaves the commands queued
 * and the socket open, so a late reply still meets the command it answers.
 *
 * The oldest command fails between `timeoutMs` and 1.2 × `timeoutMs` after it became the oldest;
 * while the connection stays silent, commands sent meanwhile fail at the next tick. A slow queue
 * that keeps answering is not failed: this bounds a stuck connection, not one command's latency.
 * On a Cluster, each node connection is watched on its own, so a paused master fails only the
 * commands sent to it. Stops when the connection ends.
 */
export function watchLiveness(client: Redis | Cluster, timeoutMs: number): void {
  forEachConnection(client, (connection) => watchConnection(connection, timeoutMs));
}

function watchConnection(redis: Redis, timeoutMs: number): void {
  if (watched.has(redis)) return;
  watched.add(redis);
  const internals = redis as unknown as ConnectionInternals;
  const tickMs = Math.max(1, Math.ceil(timeoutMs / 10));
  let oldest: PendingCommand | undefined;
  let oldestSince = 0;
  const timer = setInterval(() => {
    const head =
      internals.commandQueue.peekAt(0)?.command ?? heldCommands(redis)[0] ?? internals.offlineQueue.peekAt(0)?.command;
    const now = performance.now();
    if (head !== oldest) {
      oldest = head;
      oldestSince = now;
    } else if (head !== undefined && now - oldestSince >= timeoutMs) {
      failWaiting(redis, now - oldestSince, timeoutMs);
    }
  }, tickMs);
  timer.unref();
  redis.once('end', () => clearInterval(timer));
}

function failWaiting(redis: Redis, silentMs: number, timeoutMs: number): void {
  const internals = redis as unknown as ConnectionInternals;
  const where = `${internals.options.host ?? '127.0.0.1'}:${internals.options.port ?? 6379}`;
  const error = new Error(
    `Command timed out: Redis at ${where} answered nothing for ${Math.round(silentMs)} ms (redisCommandTimeoutMs=${timeoutMs})`,
  );
  for (const queue of [internals.commandQueue, internals.offlineQueue]) {
    for (let i = 0; i < queue.length; i += 1) {
      const command = queue.peekAt(i)?.command;
      if (command && !command.isResolved) command.reject(error);
    }
  }
  // Held ones stay held, like the others stay queued: written once the late replies came back.
  for (const command of heldCommands(redis)) if (!command.isResolved) command.reject(error);
}
