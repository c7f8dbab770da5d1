import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';

/** Runs `action`, then returns every command MONITOR saw up to a unique ECHO sent after it. */
export async function commandsSentBy(redis: Redis, action: () => Promise<unknown>): Promise<string[][]> {
  const monitor = await redis.monitor();
  try {
    const sentinel = `sentinel-${randomUUID()}`;
    const seen: string[][] = [];
    const done = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`MONITOR did not show the sentinel ECHO within 5000 ms; saw ${JSON.stringify(seen)}`)),
        5_000,
      );
      monitor.on('monitor', (_time: string, args: string[]) => {
        if (args[0]?.toLowerCase() === 'echo' && args[1] === sentinel) {
          clearTimeout(timer);
          resolve();
        } else {
          seen.push(args);
        }
      });
    });
    await action();
    await redis.echo(sentinel);
    await done;
    return seen;
  } finally {
    monitor.disconnect();
  }
}
