/**
 * A counter child counted in a plain number and added to prom-client when the registry is scraped
 * (the metric's `collect`). prom-client's own `inc` validates and hashes the labels on every call,
 * which cost more than a tenth of a cache hit; this costs an addition. Exact at every scrape.
 */
export class DeferredCount {
  readonly #child: { inc(value: number): void };
  #pending = 0;

  constructor(child: { inc(value: number): void }) {
    this.#child = child;
  }

  inc(): void {
    this.#pending++;
  }

  /** Counts `n` at once (e.g. what a counter kept elsewhere moved by since the last look). */
  add(n: number): void {
    this.#pending += n;
  }

  /** Adds what was counted since the last flush to the prom-client counter. */
  flush(): void {
    if (this.#pending === 0) return;
    this.#child.inc(this.#pending);
    this.#pending = 0;
  }
}
