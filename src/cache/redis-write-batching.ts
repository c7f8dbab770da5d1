import type { Redis } from 'ioredis';

interface Writable {
  write(...args: unknown[]): boolean;
  cork(): void;
  uncork(): void;
}

const batched = new WeakSet<object>();

/**
 * Sends the commands of one event-loop turn in one socket write: the first write of a turn corks
 * the socket and a `process.nextTick` uncorks it, after the turn's promise reactions have run, so
 * 64 readers resumed by one batch of replies send their next 64 commands in one `writev`, and Redis
 * reads them in one `read` and answers in one write. One command alone still leaves in the same
 * turn. This is what ioredis's `enableAutoPipelining` buys without its costs: that defers every
 * command to `setImmediate` (measured: sequential hit path 0.73× of an immediate write), wraps it
 * in a Pipeline, holds the next batch until the whole previous one is answered, and on a Cluster
 * does not retry a batch whose commands get different MOVED replies. The ZooKeeper side writes its
 * requests the same way. Applies to every socket the connection opens (reconnects included).
 */
export function batchWritesPerTurn(redis: Redis): void {
  if (batched.has(redis)) return;
  batched.add(redis);
  // ioredis announces each new socket with 'connect' (on nextTick, after writing its handshake).
  redis.on('connect', () => {
    const stream = (redis as unknown as { stream?: Writable }).stream;
    if (stream && !batched.has(stream)) corkPerTurn(stream);
  });
}

function corkPerTurn(stream: Writable): void {
  batched.add(stream);
  const write = stream.write;
  let corked = false;
  const uncork = () => {
    corked = false;
    stream.uncork();
  };
  stream.write = function (this: Writable, ...args: unknown[]): boolean {
    if (!corked) {
      corked = true;
      stream.cork();
      process.nextTick(uncork);
    }
    return write.apply(this, args);
  };
}
