/** Small helpers of the fault tests: waiting, pacing, counting deliveries. */

/** Resolves after `ms` milliseconds. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Waits until `condition` holds; throws after `timeout` ms naming `what`. */
export async function until(
  condition: () => boolean | Promise<boolean>,
  timeout: number,
  what: string,
): Promise<void> {
  if (!(await waitFor(condition, timeout))) {
    throw new Error(`Timed out after ${timeout} ms waiting for ${what}`);
  }
}

/** Waits until `condition` holds or `timeout` ms passed; resolves with whether it held. */
export async function waitFor(
  condition: () => boolean | Promise<boolean>,
  timeout: number,
): Promise<boolean> {
  const end = Date.now() + timeout;
  while (!(await condition())) {
    if (Date.now() > end) return false;
    await sleep(20);
  }
  return true;
}

/** Every delivery of numbered messages: how often each number came, and when first. */
export class Deliveries {
  readonly counts = new Map<number, number>();
  readonly times: number[] = [];
  readonly #first = new Map<number, number>();

  /** Notes one delivery of `id`. */
  add(id: number): void {
    const now = performance.now();
    this.counts.set(id, (this.counts.get(id) ?? 0) + 1);
    if (!this.#first.has(id)) this.#first.set(id, now);
    this.times.push(now);
  }

  /** When `id` first arrived (performance.now()), if it did. */
  timeOf(id: number): number | undefined {
    return this.#first.get(id);
  }

  /** Distinct numbers delivered. */
  get distinct(): number {
    return this.counts.size;
  }

  /** Deliveries beyond the first of each number. */
  get duplicates(): number {
    let extra = 0;
    for (const n of this.counts.values()) extra += n - 1;
    return extra;
  }

  /** Whether `id` arrived. */
  has(id: number): boolean {
    return this.counts.has(id);
  }

  /** The first delivery at or after `time` (performance.now()), if any. */
  firstAfter(time: number): number | undefined {
    return this.times.find((t) => t >= time);
  }
}

/** Whole milliseconds, or null when unknown. */
export function ms(value: number | undefined): number | null {
  return value === undefined ? null : Math.round(value);
}
