/**
 * What `settled()` waits for in an emulation: an {@linkcode Activity} watches the parts of an emulation that
 * hold messages (queues, consumer groups, partition logs) and resolves once none of them is busy.
 *
 * @module
 */

/** Anything an {@linkcode Activity} can watch: a queue, a stream, a partition log of an emulation. */
export interface Quiet {
  /** Nothing is in flight: no unsettled message, no pending redelivery, nothing waiting for a present consumer. */
  readonly quiet: boolean;
}

/**
 * Watches what is still moving through a set of queues (or any {@linkcode Quiet} parts of an emulation), so
 * that a test can wait until nothing is.
 */
export class Activity {
  readonly #parts = new Set<Quiet>();
  #waiters: (() => void)[] = [];
  #checking = false;

  /** Watches a part. */
  add(part: Quiet): void {
    this.#parts.add(part);
  }
  /** Stops watching a part. */
  remove(part: Quiet): void {
    this.#parts.delete(part);
    this.changed();
  }

  /** Whether every part is quiet. */
  get idle(): boolean {
    for (const part of this.#parts) if (!part.quiet) return false;
    return true;
  }

  /** Resolves once every part is quiet. */
  whenIdle(): Promise<void> {
    if (this.idle) return Promise.resolve();
    return new Promise((resolve) => this.#waiters.push(resolve));
  }

  /** Parts call this when their state changed. */
  changed(): void {
    if (this.#waiters.length === 0 || this.#checking) return;
    // Checked a macrotask later: work that a settled handler started (its awaits) gets to run first.
    this.#checking = true;
    setTimeout(() => {
      this.#checking = false;
      if (!this.idle) return;
      const waiters = this.#waiters;
      this.#waiters = [];
      for (const resolve of waiters) resolve();
    }, 0);
  }
}
