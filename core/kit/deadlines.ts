/**
 * Timeouts on one timer. A request that arms a `setTimeout` of its own and clears it when the reply comes
 * pays for a timer twice a round trip, which under Deno 2.9 (whose global timers are Node's `Timeout` objects
 * over its web timers) took 3 µs in a loop and about 20 µs of the CPU of one RabbitMQ round trip in its
 * profile (`bench/rabbitmq/rpc.ts`); Node 24 0.9 µs, Bun 0.2. Here the deadlines wait in a heap, and one
 * timer, armed for the earliest, fires for each one that passed: a deadline costs a clock read and a heap
 * step, and the timer is re-armed only when it fires or an earlier deadline comes.
 *
 * The timer keeps the process alive only while a deadline waits, as a timer of each request would: with none,
 * it is unreferenced where the runtime's timers can be (Deno, Bun, Node) until it fires or a deadline comes.
 *
 * @module
 */

/** One deadline in the heap; `expire` is dropped once it fired or was cancelled. */
interface Entry {
  readonly at: number;
  expire: (() => void) | undefined;
}

/** A pending deadline: cancel it once what it guards has happened. */
export interface Deadline {
  cancel(): void;
}

/** A timer handle that may keep the process alive or not (Deno, Bun and Node's; a browser's is a number). */
interface Holding {
  ref(): unknown;
  unref(): unknown;
}

function hold(timer: ReturnType<typeof setTimeout> | undefined, held: boolean): void {
  if (typeof timer !== "object" || timer === null || !("unref" in timer)) return;
  const handle = timer as unknown as Holding;
  if (held) handle.ref();
  else handle.unref();
}

function rethrow(error: unknown): void {
  queueMicrotask(() => {
    throw error;
  });
}

/**
 * Deadlines that share one timer.
 *
 * @example
 * ```ts
 * import { Deadlines } from "@sluice/core/kit";
 * const deadlines = new Deadlines();
 * const deadline = deadlines.add(5000, () => console.log("no reply within 5 s"));
 * deadline.cancel(); // the reply came
 * deadlines.clear(); // on close
 * ```
 */
export class Deadlines {
  /** A binary min-heap on `at`. Cancelled entries stay until they reach the top. */
  readonly #heap: Entry[] = [];
  #timer: ReturnType<typeof setTimeout> | undefined;
  /** When the armed timer fires (performance.now() time), Infinity when none is armed. */
  #armedFor = Infinity;
  #held = false;
  readonly #fire = (): void => this.#expire();
  readonly #onError: (error: unknown) => void;

  /**
   * `onError` gets what a deadline's callback threw, after the others that fell due have run; by default it
   * is thrown again in a microtask, to surface as an uncaught error, as a timer's own callback's would.
   */
  constructor(onError: (error: unknown) => void = rethrow) {
    this.#onError = onError;
  }

  /** Deadlines not yet expired or cancelled, and cancelled ones not yet removed. */
  get size(): number {
    return this.#heap.length;
  }

  /** Calls `expire` in `ms` milliseconds, unless the returned deadline is cancelled first. */
  add(ms: number, expire: () => void): Deadline {
    const entry: Entry = { at: performance.now() + ms, expire };
    this.#push(entry);
    if (entry.at < this.#armedFor) this.#arm(entry.at - performance.now());
    else if (!this.#held) {
      this.#held = true;
      hold(this.#timer, true);
    }
    return { cancel: () => this.#cancel(entry) };
  }

  /** Drops every deadline without calling it and stops the timer. */
  clear(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#armedFor = Infinity;
    this.#held = false;
    for (const entry of this.#heap) entry.expire = undefined;
    this.#heap.length = 0;
  }

  #cancel(entry: Entry): void {
    if (entry.expire === undefined) return;
    entry.expire = undefined;
    // Replies mostly come in the order their requests went out: the one cancelled is usually the top.
    const heap = this.#heap;
    while (heap.length > 0 && heap[0]!.expire === undefined) this.#pop();
    if (heap.length === 0 && this.#held) {
      this.#held = false;
      hold(this.#timer, false);
    }
  }

  #expire(): void {
    this.#timer = undefined;
    this.#armedFor = Infinity;
    this.#held = false;
    const heap = this.#heap;
    const now = performance.now();
    while (heap.length > 0 && (heap[0]!.expire === undefined || heap[0]!.at <= now)) {
      const entry = this.#pop();
      const expire = entry.expire;
      if (!expire) continue;
      entry.expire = undefined; // fired: a cancel() from its own callback has nothing left to do
      try {
        expire();
      } catch (error) {
        // One deadline's failure must not keep the others from firing.
        this.#onError(error);
      }
    }
    if (heap.length > 0) this.#arm(heap[0]!.at - performance.now());
  }

  #arm(delay: number): void {
    clearTimeout(this.#timer);
    // A timer may fire a little early: the heap is checked against the clock, and re-armed for what is left.
    this.#armedFor = performance.now() + delay;
    this.#timer = setTimeout(this.#fire, Math.max(1, Math.ceil(delay)));
    this.#held = true;
  }

  #push(entry: Entry): void {
    const heap = this.#heap;
    let i = heap.push(entry) - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (heap[parent]!.at <= entry.at) break;
      heap[i] = heap[parent]!;
      i = parent;
    }
    heap[i] = entry;
  }

  #pop(): Entry {
    const heap = this.#heap;
    const top = heap[0]!;
    const last = heap.pop()!;
    if (heap.length === 0) return top;
    let i = 0;
    for (;;) {
      const left = 2 * i + 1;
      if (left >= heap.length) break;
      const right = left + 1;
      const child = right < heap.length && heap[right]!.at < heap[left]!.at ? right : left;
      if (heap[child]!.at >= last.at) break;
      heap[i] = heap[child]!;
      i = child;
    }
    heap[i] = last;
    return top;
  }
}
