import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parsePrometheusText, quantileBetween } from '../../src/cli/top/prometheus-text.js';
import { topFrame } from '../../src/cli/top/top-view.js';
import { runZkoc } from '../cli/run-zkoc.js';

// Two scrapes of a process's metrics, 2 s apart, as registerMetrics exposes them.
const scrape = (hits: number, misses: number, stale: number, waits: [number, number, number]) => `
# HELP zkoc_cache_requests_total Cache reads by result
# TYPE zkoc_cache_requests_total counter
zkoc_cache_requests_total{namespace="p",result="hit"} ${hits}
zkoc_cache_requests_total{namespace="p",result="negative"} 0
zkoc_cache_requests_total{namespace="p",result="miss"} ${misses}
zkoc_cache_requests_total{namespace="p",result="grace"} 0
zkoc_cache_writes_total{namespace="p",op="fill",status="written"} ${misses}
zkoc_cache_writes_total{namespace="p",op="set",status="stale"} ${stale}
zkoc_loader_runs_total{namespace="p"} ${misses}
zkoc_loader_errors_total{namespace="p"} 0
zkoc_lock_wait_seconds_bucket{le="0.001",namespace="p"} ${waits[0]}
zkoc_lock_wait_seconds_bucket{le="0.01",namespace="p"} ${waits[1]}
zkoc_lock_wait_seconds_bucket{le="+Inf",namespace="p"} ${waits[2]}
zkoc_lock_wait_seconds_count{namespace="p"} ${waits[2]}
zkoc_zookeeper_session_state{namespace="p",state="connected"} 1
zkoc_zookeeper_session_state{namespace="p",state="lost"} 0
zkoc_locks_held{namespace="p"} 2
`;
const BEFORE = scrape(1000, 100, 0, [50, 90, 100]);
const AFTER = scrape(2800, 300, 4, [50, 290, 300]);

describe('zkoc top', () => {
  it('computes rates, the hit ratio and lock-wait quantiles from two scrapes', () => {
    const frame = topFrame(parsePrometheusText(BEFORE), parsePrometheusText(AFTER), 2);
    expect(frame.requestsPerS).toBe(1000); // (1800 hits + 200 misses) / 2 s
    expect(frame.hitRatio).toBe(0.9);
    expect(frame.writesPerS).toEqual({ written: 100, stale: 2, duplicate: 0 });
    expect(frame.loadsPerS).toBe(100);
    // all 200 new waits fell in (1 ms, 10 ms]: the median is interpolated to the bucket's middle
    expect(frame.lockWaitP50Ms).toBeCloseTo(5.5, 5);
    expect(frame.session).toBe('connected');
    expect(frame.locksHeld).toBe(2);
    expect(frame.followerLagMs).toBeUndefined();
    expect(quantileBetween([], [], 'none', 0.5)).toBeUndefined();
  });

  describe('against an endpoint', () => {
    let server: Server;
    let url: string;
    let served = 0;
    beforeAll(async () => {
      server = createServer((_req, res) => {
        res.writeHead(200, { 'content-type': 'text/plain' }).end(served++ === 0 ? BEFORE : AFTER);
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/metrics`;
    });
    afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

    it('prints one frame per interval and stops after --frames', async () => {
      const run = await runZkoc(['top', '--metrics-url', url, '--interval', '2s', '--frames', '1']);
      expect(run.stderr).toBe('');
      expect(run.code).toBe(0);
      expect(run.stdout).toMatch(/reads\/s\s+1,000\s+hit ratio 90\.0%/);
      expect(run.stdout).toMatch(/written 100\s+stale 2\.0/);
      expect(run.stdout).toMatch(/lock wait\s+p50 5\.5 ms/);
      expect(run.stdout).toMatch(/zookeeper\s+connected/);
    });

    it('names the endpoint when it cannot be scraped, and exits 1', async () => {
      const closed = createServer();
      await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
      const port = (closed.address() as AddressInfo).port;
      await new Promise<void>((resolve) => closed.close(() => resolve()));
      const run = await runZkoc(['top', '--metrics-url', `http://127.0.0.1:${port}/metrics`, '--frames', '1']);
      expect(run.code).toBe(1);
      expect(run.stderr).toMatch(
        new RegExp(`metrics endpoint at http://127\\.0\\.0\\.1:${port}/metrics: .*ECONNREFUSED`),
      );
    });
  });
});
