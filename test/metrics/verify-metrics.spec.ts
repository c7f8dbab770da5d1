import { afterEach, describe, expect, it } from 'vitest';
import { serveVerifyMetrics, type VerifyMetrics } from '../../src/cli/verify/verify-metrics.js';

// `zkoc verify --watch --metrics-port` exported comparisons, violations and the nines, but not the
// keys it could not verify: a verify whose every look fails looked like a quiet, clean one.
describe('zkoc verify --metrics-port', () => {
  let metrics: VerifyMetrics | undefined;
  afterEach(async () => {
    await metrics?.close();
  });

  it('counts unverified keys next to comparisons and violations', async () => {
    const served = await serveVerifyMetrics(0, 'products');
    metrics = served;
    const scrape = async () => (await fetch(`http://127.0.0.1:${served.port}/metrics`)).text();
    expect(await scrape()).toContain('zkoc_verify_unverified_total{namespace="products"} 0');
    served.record({ comparisons: 10, violations: [{ kind: 'stale' }], unverified: 2 }, 1);
    served.record({ comparisons: 5, violations: [], unverified: 1 }, 1.2);
    const text = await scrape();
    expect(text).toContain('zkoc_verify_unverified_total{namespace="products"} 3');
    expect(text).toContain('zkoc_verify_comparisons_total{namespace="products"} 15');
    expect(text).toContain('zkoc_verify_violations_total{namespace="products",kind="stale"} 1');
    expect(text).toContain('zkoc_verify_consistency_nines{namespace="products"} 1.2');
  });
});
