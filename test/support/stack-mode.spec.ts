import { describe, expect, it } from 'vitest';
import { missingExternalEnv, notRunReason, type StackNeed, testStackProvider } from './stack-mode.js';

const NEEDS: readonly StackNeed[] = ['faults', 'topology', 'processes', 'exclusive'];

describe('the test fixture’s choice of servers', () => {
  it('runs against fresh local servers when ZKOC_STACK_PROVIDER is unset or empty (npm test, CI)', () => {
    expect(testStackProvider({})).toBe('local');
    expect(testStackProvider({ ZKOC_STACK_PROVIDER: '' })).toBe('local');
    expect(testStackProvider({ ZKOC_STACK_PROVIDER: 'external' })).toBe('external');
    expect(testStackProvider({ ZKOC_STACK_PROVIDER: 'containers' })).toBe('containers');
  });

  it('rejects a provider it does not know, naming the ones it does', () => {
    expect(() => testStackProvider({ ZKOC_STACK_PROVIDER: 'auto' })).toThrow(
      /ZKOC_STACK_PROVIDER must be one of local, containers, external .*got "auto"/,
    );
  });

  it('runs every test locally: no need goes unmet', () => {
    for (const need of NEEDS) expect(notRunReason('local', need, 'pauses Redis')).toBeUndefined();
  });

  it('against external servers, runs plain tests and names why each other kind is not run', () => {
    const reasons = Object.fromEntries(NEEDS.map((need) => [need, notRunReason('external', need, 'pauses Redis')]));
    expect(reasons).toEqual({
      faults: expect.stringMatching(/^not run with ZKOC_STACK_PROVIDER=external: pauses Redis; it injects faults/),
      topology: expect.stringMatching(/provider local only/),
      processes: expect.stringMatching(/not processes of the suite/),
      exclusive: expect.stringMatching(/shared by every test file/),
    });
  });

  it('with containers, injects faults and owns its servers, but has no ensembles or server pids', () => {
    expect(notRunReason('containers', 'faults', 'x')).toBeUndefined();
    expect(notRunReason('containers', 'exclusive', 'x')).toBeUndefined();
    expect(notRunReason('containers', 'topology', 'x')).toMatch(/ZKOC_STACK_PROVIDER=containers/);
    expect(notRunReason('containers', 'processes', 'x')).toMatch(/ZKOC_STACK_PROVIDER=containers/);
  });

  it('names the env variables external mode is missing, and asks nothing of the others', () => {
    expect(missingExternalEnv('external', { ZKOC_ZK: 'h:2181' })).toEqual(['ZKOC_REDIS', 'DATABASE_URL']);
    expect(
      missingExternalEnv('external', { ZKOC_ZK: 'h', ZKOC_REDIS: 'redis://h', DATABASE_URL: 'postgres://h/d' }),
    ).toEqual([]);
    expect(missingExternalEnv('local', {})).toEqual([]);
  });
});
