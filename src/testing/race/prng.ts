/**
 * A small seeded PRNG (mulberry32): the same seed gives the same schedule of injected delays, so a
 * race run can be repeated with `--seed`. Not for cryptography.
 */
export class SeededRandom {
  #state: number;

  /** @param seed any 32-bit integer; other numbers are truncated to 32 bits. */
  constructor(seed: number) {
    this.#state = seed >>> 0;
  }

  /** A float in [0, 1). */
  next(): number {
    this.#state = (this.#state + 0x6d2b79f5) >>> 0;
    let t = this.#state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  }

  /** A whole number of milliseconds in [minMs, maxMs]. */
  delayMs(minMs: number, maxMs: number): number {
    return minMs + Math.floor(this.next() * (maxMs - minMs + 1));
  }
}
