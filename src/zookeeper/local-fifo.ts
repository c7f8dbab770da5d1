/**
 * In-process FIFO in front of ZooKeeper for one lock key: only the contender at the head has a
 * znode, so N concurrent acquire() calls in one process cost at most one znode at a time, and they
 * are served in call order.
 */
export class LocalFifo {
  private busy = false;
  private readonly waiting: Array<() => void> = [];

  /** True when nobody holds or waits for the turn (the queue can be dropped). */
  get idle(): boolean {
    return !this.busy && this.waiting.length === 0;
  }

  /**
   * Queues for the turn. `ready` resolves when it is ours (`immediate`: it already is);
   * `cancel()` gives the place (or the turn, if it was granted meanwhile) away. Call
   * {@link leave} after the turn is done.
   */
  enter(): { ready: Promise<void>; immediate: boolean; cancel: () => void } {
    if (!this.busy) {
      this.busy = true;
      return { ready: Promise.resolve(), immediate: true, cancel: () => this.leave() };
    }
    let granted = false;
    let grant!: () => void;
    const ready = new Promise<void>((resolve) => {
      grant = () => {
        granted = true;
        resolve();
      };
    });
    this.waiting.push(grant);
    return {
      ready,
      immediate: false,
      cancel: () => {
        if (granted) {
          this.leave();
          return;
        }
        const index = this.waiting.indexOf(grant);
        if (index >= 0) this.waiting.splice(index, 1);
      },
    };
  }

  /** Hands the turn to the next in line, or frees it. */
  leave(): void {
    const next = this.waiting.shift();
    if (next) next();
    else this.busy = false;
  }
}
