import { createServer, type Server } from 'node:http';
import { InvalidOptionsError } from '../../errors.js';

/** What `zkoc verify --watch --metrics-port` exports, one round at a time. */
export interface VerifyMetrics {
  record(round: { comparisons: number; violations: { kind: string }[]; unverified: number }, nines: number): void;
  close(): Promise<void>;
}

/**
 * The figure as Prometheus metrics on `/metrics` (prom-client, an optional peer dependency): the
 * comparisons, the violations by kind, the keys no look could verify (a Redis or PostgreSQL error:
 * an alert on them catches a verify that has stopped measuring), and the running nines.
 */
export async function serveVerifyMetrics(port: number, namespace: string): Promise<VerifyMetrics & { port: number }> {
  const prom = await import('prom-client').catch(() => {
    throw new InvalidOptionsError('--metrics-port needs the prom-client package: npm install prom-client');
  });
  const registry = new prom.Registry();
  const comparisons = new prom.Counter({
    name: 'zkoc_verify_comparisons_total',
    help: 'Cache entries compared with their database row by zkoc verify',
    labelNames: ['namespace'],
    registers: [registry],
  });
  const violations = new prom.Counter({
    name: 'zkoc_verify_violations_total',
    help: 'Comparisons that found the cache stale beyond the window, ahead of the database, or foreign',
    labelNames: ['namespace', 'kind'],
    registers: [registry],
  });
  const unverified = new prom.Counter({
    name: 'zkoc_verify_unverified_total',
    help: 'Keys whose first look or re-check failed (a Redis or PostgreSQL error): no verdict, not in the nines',
    labelNames: ['namespace'],
    registers: [registry],
  });
  const nines = new prom.Gauge({
    name: 'zkoc_verify_consistency_nines',
    help: 'Consistency within the window in nines (a lower bound while no violation was seen)',
    labelNames: ['namespace'],
    registers: [registry],
  });
  for (const kind of ['stale', 'ahead', 'foreign']) violations.inc({ namespace, kind }, 0);
  unverified.inc({ namespace }, 0);
  const server: Server = createServer((req, res) => {
    if (req.url !== '/metrics') {
      res.writeHead(404).end();
      return;
    }
    registry.metrics().then(
      (text) => res.writeHead(200, { 'content-type': registry.contentType }).end(text),
      () => res.writeHead(500).end(),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  return {
    port: typeof address === 'object' && address !== null ? address.port : port,
    record(round, figure) {
      comparisons.inc({ namespace }, round.comparisons);
      for (const v of round.violations) violations.inc({ namespace, kind: v.kind });
      unverified.inc({ namespace }, round.unverified);
      nines.set({ namespace }, figure);
    },
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
