import { WorkerClient } from '../src/testing/worker/worker-client.js';

/** Worker processes of one bench, started together and stopped together. */
export interface WorkerPool {
  readonly workers: readonly WorkerClient[];
  /** Sends every worker `stop` and waits for them to exit. */
  stop(): Promise<void>;
}

/**
 * Starts `count` processes of `entry` (each given `setup` as its one JSON argument) and waits until
 * all are ready; if any fails to start, stops the others and throws its error.
 */
export async function startWorkerPool(
  entry: string,
  count: number,
  setup: object,
  options: { name: string; readyTimeoutMs: number },
): Promise<WorkerPool> {
  const starting = await Promise.allSettled(
    Array.from({ length: count }, () => WorkerClient.start(entry, [JSON.stringify(setup)], options)),
  );
  const workers = starting.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
  const stop = async (): Promise<void> => {
    await Promise.all(workers.map((w) => w.stop('stop')));
  };
  const failed = starting.find((s): s is PromiseRejectedResult => s.status === 'rejected');
  if (failed) {
    await stop();
    throw failed.reason;
  }
  return { workers, stop };
}
