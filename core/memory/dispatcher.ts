/**
 * The dispatch loop every in-memory emulation shares: ready entries go to the attached consumers in turn
 * (round-robin), each consumer holding at most its prefetch unsettled; one pass runs per microtask however
 * many entries arrived or settled meanwhile, and after each pass an {@linkcode Activity} hears that something
 * changed. What an entry is — a queued message, a stream entry past a group's cursor, a visible SQS message —
 * and what handing it over means stay with the emulation, behind a {@linkcode DispatchSource}.
 *
 * @module
 */

import type { Activity } from "./activity.ts";

/** A consumer as a {@linkcode Dispatcher} counts it; an emulation adds what it needs (a deliver function …). */
export interface DispatchConsumer {
  /** The most entries it may hold unsettled; at least 1. */
  readonly prefetch: number;
  /** Entries handed to it and not yet settled; kept by the dispatcher's `delivered()` and `settled()`. */
  unsettled: number;
}

/** Where a {@linkcode Dispatcher}'s entries come from, and what handing one over does. */
export interface DispatchSource<E, C extends DispatchConsumer> {
  /** Runs at the start of each pass, before the first `peek()`: drop expired entries, read the clock. */
  begin?(): void;
  /**
   * The next entry ready for `consumer` (the one the pass hands to next), not taken yet; undefined when none
   * is. Most sources ignore who asks; SQS FIFO queues do not (a receive may take more of a group it holds).
   */
  peek(consumer: C): E | undefined;
  /**
   * Takes `entry` (what `peek()` just returned) and hands it to `consumer`, which has room: count it with
   * {@linkcode Dispatcher.delivered}. It may also decide not to deliver it (an SQS redrive).
   */
  hand(entry: E, consumer: C): void;
}

/**
 * Hands a source's ready entries to consumers round-robin within each consumer's prefetch, counts what is
 * unsettled, and schedules itself by microtask.
 *
 * @example
 * ```ts
 * import { Activity, type DispatchConsumer, Dispatcher } from "@sluice/core/kit";
 * const ready: string[] = ["a", "b", "c"];
 * const dispatcher: Dispatcher<string, DispatchConsumer> = new Dispatcher({
 *   peek: () => ready[0],
 *   hand: (entry, consumer) => {
 *     ready.shift();
 *     dispatcher.delivered(consumer);
 *     console.log("handed", entry);
 *   },
 * }, new Activity());
 * dispatcher.add({ prefetch: 2, unsettled: 0 }); // "a" and "b" go at the next microtask; "c" waits for room
 * ```
 */
export class Dispatcher<E, C extends DispatchConsumer = DispatchConsumer> {
  readonly #source: DispatchSource<E, C>;
  readonly #activity: Activity | undefined;
  readonly #consumers: C[] = [];
  #next = 0;
  #unsettled = 0;
  #scheduled = false;
  readonly #run = (): void => {
    this.#scheduled = false;
    this.#dispatch();
  };

  /** A dispatcher of `source`'s entries; with `activity`, each pass tells it that something changed. */
  constructor(source: DispatchSource<E, C>, activity?: Activity) {
    this.#source = source;
    this.#activity = activity;
  }

  /** Consumers attached. */
  get consumers(): number {
    return this.#consumers.length;
  }

  /** Entries delivered and not yet settled, over all consumers. */
  get unsettled(): number {
    return this.#unsettled;
  }

  /** Attaches a consumer and schedules a pass. */
  add(consumer: C): void {
    this.#consumers.push(consumer);
    this.schedule();
  }

  /** Detaches a consumer; what it holds stays counted until settled. */
  remove(consumer: C): void {
    const i = this.#consumers.indexOf(consumer);
    if (i !== -1) this.#consumers.splice(i, 1);
    this.#activity?.changed();
  }

  /** Whether `consumer` may take one more entry. */
  hasRoom(consumer: C): boolean {
    return consumer.unsettled < consumer.prefetch;
  }

  /** Counts an entry handed to `consumer`, by a pass or directly (a claim, a redelivery to its holder). */
  delivered(consumer: C): void {
    consumer.unsettled++;
    this.#unsettled++;
  }

  /** Counts an entry of `consumer` settled. It does not schedule a pass: call `schedule()` when room matters. */
  settled(consumer: C): void {
    consumer.unsettled--;
    this.#unsettled--;
  }

  /** Runs a pass at the next microtask, once however often it is asked for meanwhile. */
  schedule(): void {
    if (this.#scheduled) return;
    this.#scheduled = true;
    queueMicrotask(this.#run);
  }

  #dispatch(): void {
    const source = this.#source;
    source.begin?.();
    const consumers = this.#consumers;
    for (;;) {
      const count = consumers.length;
      if (count === 0) break;
      let chosen: C | undefined;
      let tries = 0;
      for (; tries < count; tries++) {
        const candidate = consumers[(this.#next + tries) % count]!;
        if (candidate.unsettled < candidate.prefetch) {
          chosen = candidate;
          break;
        }
      }
      if (!chosen) {
        this.#next += count;
        break;
      }
      const entry = source.peek(chosen);
      if (entry === undefined) break;
      // The turn moves on only when an entry is handed over: a pass with nothing ready skips nobody.
      this.#next += tries + 1;
      source.hand(entry, chosen);
    }
    this.#activity?.changed();
  }
}
