/** Where the benchmark sections find the servers (all on loopback, started by bench/main.ts). */
export interface BenchContext {
  zookeeper: string;
  redis: string;
  postgres: string;
  /** Scale factor: 1 for the full run, smaller for a quick smoke (`npm run bench -- --quick`). */
  scale: number;
}

/** One measured figure, printed side by side with the floor it is compared against. */
export interface BenchRow {
  name: string;
  /** Our figure. */
  value: number;
  unit: string;
  /** The raw floor measured in the same run (bare client doing the minimum), same unit. */
  floor?: number;
  /** value / floor for throughputs, floor / value would hide regressions: always ours over floor. */
  ratio?: number;
  /** Human-readable target, e.g. "≤ 1.15×" or "≥ 0.85×"; `met` says whether this run met it. */
  target?: string;
  met?: boolean;
  note?: string;
}

export interface BenchSection {
  title: string;
  rows: BenchRow[];
  /** Optional latency distributions (ms) per scenario, for the chart. */
  latencies?: Record<string, { p50: number; p90: number; p99: number; max: number }>;
}

export type BenchSectionRunner = (ctx: BenchContext) => Promise<BenchSection>;
