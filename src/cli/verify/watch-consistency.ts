import { sleep } from '../../core/deadline.js';
import type { OrderedStore } from '../../redis/ordered-store.js';
import { describeNines, ninesOf, type RowVersionSource, verifyConsistency } from '../../verify/index.js';
import type { CliEnvironment } from '../action.js';
import type { ConnectionOptions } from '../connection-options.js';
import { ExitCode } from '../exit-codes.js';
import type { Output } from '../output.js';
import { formatDuration } from '../render/duration.js';
import { printable } from '../render/text.js';
import { sampleKeys } from './sample-keys.js';
import { serveVerifyMetrics } from './verify-metrics.js';

const ROUND_MS = 5_000;

/**
 * `zkoc verify --watch`: samples round after round at most `--rate` keys per second, prints the
 * running figure after each round and every new violation, and (with `--metrics-port`) serves the
 * counts as Prometheus metrics. Ctrl-C stops it; exits 1 if any violation or unverified key was seen.
 */
export async function watchConsistency(context: {
  store: OrderedStore<unknown>;
  rows: RowVersionSource;
  windowMs: number;
  options: Record<string, unknown>;
  out: Output;
  env: CliEnvironment;
  connection: ConnectionOptions;
}): Promise<number> {
  const { store, rows, windowMs, options, out } = context;
  const rate = Number(options.rate);
  const perRound = Math.max(1, Math.round((rate * ROUND_MS) / 1000));
  const stop = new AbortController();
  const unregister = context.env.onInterrupt(() => stop.abort(new Error('interrupted')));
  const totals = { comparisons: 0, violations: 0, unverified: 0 };
  const metrics =
    options.metricsPort === undefined
      ? undefined
      : await serveVerifyMetrics(Number(options.metricsPort), context.connection.namespace);
  try {
    while (!stop.signal.aborted) {
      const startedAt = Date.now();
      const keys = await sampleKeys(store, {
        prefix: String(options.prefix ?? ''),
        limit: Number(options.limit),
        sample: perRound,
      });
      const report = await verifyConsistency({ cache: store, rows, keys, windowMs, signal: stop.signal }).catch(
        (error: unknown) => {
          if (stop.signal.aborted) return undefined;
          throw error;
        },
      );
      if (report === undefined) break;
      totals.comparisons += report.comparisons;
      totals.violations += report.violations.length;
      totals.unverified += report.unverified.length;
      metrics?.record(
        { comparisons: report.comparisons, violations: report.violations, unverified: report.unverified.length },
        ninesOf(totals.comparisons, totals.violations).nines,
      );
      for (const u of report.unverified) {
        const look =
          u.look === 'first' ? 'the first look failed' : `the re-check failed after ${formatDuration(u.ageMs)}`;
        out.line(`UNVERIFIED ${printable(u.key)}: ${look}: ${u.error}`);
      }
      for (const v of report.violations) {
        out.line(
          `VIOLATION ${printable(v.key)}: ${v.kind}, cache ${v.cache ? `${v.cache.kind} at ${v.cache.version}` : '-'}, database ${v.databaseVersion ?? 'no row'}, age ${formatDuration(v.ageMs)}`,
        );
      }
      out.line(
        `${new Date().toISOString()} ${totals.comparisons} comparisons, ${totals.violations} violations${totals.unverified > 0 ? `, ${totals.unverified} unverified` : ''}: ${describeNines(ninesOf(totals.comparisons, totals.violations))} within ${formatDuration(windowMs)}`,
      );
      const roundMs = (1000 * Math.max(1, keys.length)) / rate;
      await sleep(Math.max(0, roundMs - (Date.now() - startedAt)), stop.signal).catch(() => undefined);
    }
  } finally {
    unregister();
    await metrics?.close();
  }
  return totals.violations > 0 || totals.unverified > 0 ? ExitCode.runtime : ExitCode.ok;
}
