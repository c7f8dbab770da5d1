import { type ChildProcess, fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Measured } from './measure.js';

/** What a lock worker needs to start (passed as its one argument, JSON). */
export interface LockWorkerSetup {
  connectString: string;
  bareParent: string;
  oursRoot: string;
  key: string;
}

export type LockWorkerRequest = { type: 'round'; side: 'floor' | 'ours'; durationMs: number } | { type: 'stop' };
export type LockWorkerReply =
  | { type: 'ready' }
  | { type: 'done'; latenciesMs: number[] }
  | { type: 'failed'; message: string };

/** Worker processes contending for one key, driven round by round from the benchmark. */
export interface LockWorkers {
  /** All workers cycle on `side` for `durationMs`; throughput is every worker's cycles over the round's time. */
  round(side: 'floor' | 'ours', durationMs: number): Promise<Measured>;
  stop(): Promise<void>;
}

const WORKER = fileURLToPath(new URL('./lock-worker.js', import.meta.url));

function nextReply(child: ChildProcess): Promise<LockWorkerReply> {
  return new Promise((resolve, reject) => {
    const onExit = (code: number | null): void => reject(new Error(`lock worker exited with ${String(code)}`));
    child.once('exit', onExit);
    child.once('message', (message: LockWorkerReply) => {
      child.off('exit', onExit);
      if (message.type === 'failed') reject(new Error(`lock worker failed: ${message.message}`));
      else resolve(message);
    });
  });
}

/** Forks `count` workers (each connects a bare client and a LockManager) and waits until all are ready. */
export async function startLockWorkers(count: number, setup: LockWorkerSetup): Promise<LockWorkers> {
  const children = Array.from({ length: count }, () =>
    fork(WORKER, [JSON.stringify(setup)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] }),
  );
  const stop = async (): Promise<void> => {
    await Promise.all(
      children.map(
        (child) =>
          new Promise<void>((resolve) => {
            if (child.exitCode !== null) return resolve();
            const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
            child.once('exit', () => {
              clearTimeout(timer);
              resolve();
            });
            child.send({ type: 'stop' } satisfies LockWorkerRequest);
          }),
      ),
    );
  };
  try {
    await Promise.all(children.map(nextReply));
  } catch (error) {
    for (const child of children) child.kill('SIGKILL');
    throw error;
  }
  return {
    async round(side, durationMs) {
      const started = performance.now();
      const replies = children.map(nextReply);
      for (const child of children) child.send({ type: 'round', side, durationMs } satisfies LockWorkerRequest);
      const done = await Promise.all(replies);
      const latenciesMs = done.flatMap((reply) => (reply.type === 'done' ? reply.latenciesMs : []));
      return { opsPerSec: latenciesMs.length / ((performance.now() - started) / 1000), latenciesMs };
    },
    stop,
  };
}
