import type { Redis } from 'ioredis';

type Sink = Record<'_write' | '_writev', (...args: unknown[]) => unknown>;

/**
 * Counts what reaches each connection's current socket: one entry per system write (`_write` or
 * `_writev`), holding how many chunks it carried. ioredis writes one chunk per command (a pipeline
 * writes one for all of its commands).
 */
export function countWrites(connections: readonly Redis[]): number[] {
  const writes: number[] = [];
  for (const connection of connections) {
    const stream = (connection as unknown as { stream: Sink }).stream;
    for (const method of ['_write', '_writev'] as const) {
      const original = stream[method];
      stream[method] = function (this: unknown, ...args: unknown[]) {
        writes.push(method === '_writev' ? (args[0] as unknown[]).length : 1);
        return original.apply(this, args);
      };
    }
  }
  return writes;
}

/** Resolves after the ticks queued so far (a corked socket of this turn is written by then). */
export function afterTicks(): Promise<void> {
  return new Promise((resolve) => process.nextTick(() => process.nextTick(resolve)));
}
