/**
 * Consistency as "nines" (Meta's Polaris reports "N nines of cache writes consistent within M
 * minutes"). With v violations in n comparisons the measured figure is −log10(v / n). With none,
 * the sample bounds what can be claimed: at 95 % confidence the violation rate is below 3 / n (the
 * rule of three), so the claim is −log10(3 / n) nines, and no more.
 */
export interface Nines {
  comparisons: number;
  violations: number;
  /** −log10 of the violation rate, or of its 95 % upper bound when there was no violation. */
  nines: number;
  /** True when `nines` is a lower bound (no violation seen), false when it is measured. */
  lowerBound: boolean;
}

export function ninesOf(comparisons: number, violations: number): Nines {
  if (comparisons <= 0) return { comparisons, violations, nines: 0, lowerBound: true };
  if (violations === 0) {
    return { comparisons, violations, nines: Math.max(0, Math.log10(comparisons / 3)), lowerBound: true };
  }
  return { comparisons, violations, nines: Math.max(0, -Math.log10(violations / comparisons)), lowerBound: false };
}

/** "5.52 nines (at least: no violation in 1,000,000 comparisons)". */
export function describeNines(n: Nines): string {
  const count = n.comparisons.toLocaleString('en-US');
  if (n.lowerBound) {
    return `at least ${n.nines.toFixed(2)} nines (no violation in ${count} comparisons; 95% upper bound on the violation rate)`;
  }
  return `${n.nines.toFixed(2)} nines (${n.violations.toLocaleString('en-US')} violations in ${count} comparisons)`;
}
