/**
 * Per-partition bookkeeping of records in flight: records settle in any order (concurrency), but a
 * partition's committed offset only moves past a contiguous run of settled records, so a crash never skips
 * an unsettled one.
 *
 * @module
 */

/** The offsets of one partition handed over and not yet committable. */
export class PartitionTrack {
  /** The owner's key for the partition, cached here so it is built once, not per record. */
  key: string | undefined;
  #order: number[] = [];
  #head = 0;
  readonly #done = new Set<number>();

  /** Records an offset as handed over (offsets arrive in increasing order). */
  add(offset: number): void {
    this.#order.push(offset);
  }

  /** Marks an offset settled; returns the new offset to commit (the next one to read) if it moved. */
  settle(offset: number): number | undefined {
    let next: number | undefined;
    if (offset === this.#order[this.#head]) {
      // The oldest one settled (always so with concurrency 1): no set work for it.
      this.#head++;
      next = offset + 1;
      if (this.#done.size === 0) return this.#compact(next);
    } else {
      this.#done.add(offset);
    }
    while (this.#head < this.#order.length && this.#done.has(this.#order[this.#head]!)) {
      const settled = this.#order[this.#head++]!;
      this.#done.delete(settled);
      next = settled + 1;
    }
    return this.#compact(next);
  }

  #compact(next: number | undefined): number | undefined {
    if (this.#head > 1024 && this.#head * 2 > this.#order.length) {
      this.#order = this.#order.slice(this.#head);
      this.#head = 0;
    }
    return next;
  }

  /** Offsets handed over and not yet committable. */
  get pending(): number {
    return this.#order.length - this.#head;
  }
}
