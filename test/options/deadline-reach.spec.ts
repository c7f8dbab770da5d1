import { afterEach, describe, expect, it } from 'vitest';
import { withDeadline } from '../../src/cli/doctor/check.js';

// Node fires a timer of more than 2^31-1 ms after 1 ms (with a TimeoutOverflowWarning); the
// doctor's probes race their deadline through core/deadline.ts, which arms no timer that far out.
describe("the doctor's probe deadline past 2^31-1 ms", () => {
  const warnings: Error[] = [];
  const onWarning = (warning: Error) => warnings.push(warning);
  afterEach(() => {
    process.off('warning', onWarning);
    warnings.length = 0;
  });

  it('does not fire early and warns nothing', async () => {
    process.on('warning', onWarning);
    const slowProbe = new Promise<string>((resolve) => setTimeout(() => resolve('answered'), 50));
    await expect(withDeadline(slowProbe, 3_000_000_000, 'redis at x: ping')).resolves.toBe('answered');
    await new Promise((resolve) => setImmediate(resolve));
    expect(warnings.map((w) => w.name)).toEqual([]);
  });

  it('still fires within reach, naming the probe and the limit', async () => {
    const silent = new Promise<never>(() => undefined);
    await expect(withDeadline(silent, 20, 'redis at x: ping')).rejects.toThrow(
      'redis at x: ping: no answer within 20ms (--timeout-ms=20)',
    );
  });
});
