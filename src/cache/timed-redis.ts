import type { CacheEventEmitter } from './events.js';

/**
 * Reports a Redis round trip's duration as a `redis` event, only when someone listens (the metrics
 * module does): the hit path pays for two clock reads only when they are wanted.
 */
export function timedRedis<R>(events: CacheEventEmitter, op: 'read' | 'write', sent: Promise<R>): Promise<R> {
  if (!events.listens('redis')) return sent;
  const startedAt = performance.now();
  return sent.then(
    (result) => {
      events.emit('redis', { op, durationMs: performance.now() - startedAt });
      return result;
    },
    (error: unknown) => {
      events.emit('redis', { op, durationMs: performance.now() - startedAt, error });
      throw error;
    },
  );
}
