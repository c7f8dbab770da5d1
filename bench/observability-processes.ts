import { fileURLToPath } from 'node:url';
import type { Measured } from './measure.js';
import { startWorkerPool } from './worker-pool.js';

/** What an observability worker needs to start (its one argument, JSON). */
export interface ObservedWorkerSetup {
  zookeeper: string;
  redis: string;
  namespace: string;
  keys: number;
  /** `observed`: tracing on and metrics registered; `plain`: neither. Both run under the same SDK. */
  side: 'plain' | 'observed';
  /** 1 in `every` request traces is sampled. */
  every: number;
  inFlight: number;
}

/** The commands of an observability worker, over the line protocol (src/testing/worker/line-protocol.ts). */
export type ObservedWorkerCommand = { op: 'round'; ops: number } | { op: 'stop' };
/** The result of a `round`: per-get latencies and the process's CPU time per get (µs). */
export interface ObservedWorkerRound {
  latenciesMs: number[];
  opsPerSec: number;
  cpuPerOpUs: number;
}

const WORKER = fileURLToPath(new URL('./observability-worker.js', import.meta.url));

/** Processes of one side, asked for rounds in turn (a process's own speed is part of the spread). */
export interface ObservedSide {
  round(ops: number): Promise<Measured & { cpuPerOpUs: number }>;
  stop(): Promise<void>;
}

/** Starts `count` processes of one configuration and waits until each is warm and ready. */
export async function startObservedSide(count: number, setup: ObservedWorkerSetup): Promise<ObservedSide> {
  const options = { name: 'observability worker', readyTimeoutMs: 60_000 };
  const { workers, stop } = await startWorkerPool(WORKER, count, setup, options);
  let next = 0;
  return {
    round: (ops) => workers[next++ % workers.length]!.call<ObservedWorkerRound>('round', { ops }, 120_000),
    stop,
  };
}
