import { createInterface } from 'node:readline';
import { type EventLine, encodeLine, failureOf } from './line-protocol.js';

/** Sends an event line on stdout. */
export function emit(event: EventLine): void {
  process.stdout.write(encodeLine(event));
}

/**
 * The worker side of the line protocol: announces `ready`, then runs every command line from
 * stdin through `handle` concurrently and writes its reply: the result, or what it threw as the
 * failure. `C` is the worker's command union: lines are trusted to be commands its parent sent.
 * Resolves when stdin closes (the parent is gone).
 */
export async function serveWorker<C extends { op: string }>(handle: (command: C) => Promise<object>): Promise<void> {
  emit({ event: 'ready', data: { pid: process.pid } });
  for await (const line of createInterface({ input: process.stdin })) {
    let command: C & { id: number };
    try {
      command = JSON.parse(line) as C & { id: number };
    } catch (error) {
      process.stderr.write(`worker: not a command line: ${String(error)}\n`);
      continue;
    }
    // A handler that throws synchronously is a failed command too.
    const { id } = command;
    Promise.resolve()
      .then(() => handle(command))
      .then(
        (result) => process.stdout.write(encodeLine({ id, ok: true, result })),
        (error: unknown) => process.stdout.write(encodeLine({ id, ok: false, error: failureOf(error) })),
      );
  }
}
