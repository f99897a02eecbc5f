/**
 * The delivery window every driver's consuming loop keeps: at most `size` messages handed to the core and
 * not yet settled. The loop hands messages over without waiting for earlier ones to settle (the driver
 * contract asks it to), and pauses only when the window is full.
 *
 * @module
 */

import { type Deliver, type IncomingMessage, SETTLED } from "../driver.ts";

/**
 * Counts unsettled deliveries against a bound.
 *
 * @example
 * ```ts
 * import type { Deliver, IncomingMessage } from "@sluice/core";
 * import { DeliveryWindow } from "@sluice/core/kit";
 * async function loop(read: () => Promise<IncomingMessage[]>, deliver: Deliver, prefetch: number) {
 *   const window = new DeliveryWindow(prefetch);
 *   while (!window.closed) {
 *     await window.whenRoom();
 *     for (const message of await read()) window.hand(deliver, message);
 *   }
 * }
 * ```
 */
export class DeliveryWindow {
  /** The bound. */
  readonly size: number;
  #open = 0;
  #closed = false;
  #waiters: { readonly room: number; readonly resolve: () => void }[] = [];
  #drained: (() => void)[] = [];
  readonly #release = (): void => this.#settled();
  /**
   * Called with the message when its delivery rejects (the core settles every message, so this is a driver
   * bug or a crash): a driver nacks or logs it there.
   */
  readonly onError: (error: unknown, message: IncomingMessage) => void;

  /** A window of `size` (at least 1); `onError` sees deliveries that rejected, with their message. */
  constructor(size: number, onError: (error: unknown, message: IncomingMessage) => void = () => undefined) {
    this.size = Math.max(1, Math.floor(size));
    this.onError = onError;
  }

  /** Messages handed over and not yet settled. */
  get open(): number {
    return this.#open;
  }

  /** How many more may be handed over now. */
  get room(): number {
    return Math.max(0, this.size - this.#open);
  }

  /** Whether {@linkcode DeliveryWindow.close} was called. */
  get closed(): boolean {
    return this.#closed;
  }

  /**
   * Hands a message to `deliver` and counts it until the core settles it: at once when `deliver` returns
   * {@linkcode SETTLED} (the message ended in this turn), otherwise when its promise does.
   */
  hand(deliver: Deliver, message: IncomingMessage): void {
    this.#open++;
    const done = deliver(message);
    if (done === SETTLED) return this.#settled();
    // One reaction per message: `.then(a, b)`, not `.catch().finally()`, which chains two more promises.
    done.then(this.#release, (error) => {
      this.onError(error, message);
      this.#settled();
    });
  }

  /**
   * Counts `count` slots as taken until the returned function is called (only the first call counts): for a
   * loop that frees slots itself rather than when the core's delivery settles, such as a receive under way
   * that holds the room its answer may fill, or a message whose slot frees at its first settlement.
   */
  take(count = 1): () => void {
    this.#open += count;
    let taken = true;
    return () => {
      if (!taken) return;
      taken = false;
      this.#settled(count);
    };
  }

  /**
   * Resolves once at least `room` (1 by default) more may be handed over, or the window is closed. A loop
   * that wants fewer wake-ups under load asks for more room than one (a low-water mark).
   */
  whenRoom(room = 1): Promise<void> {
    const needed = Math.min(Math.max(1, room), this.size);
    if (this.#closed || this.room >= needed) return Promise.resolve();
    return new Promise((resolve) => this.#waiters.push({ room: needed, resolve }));
  }

  /** Resolves once nothing handed over is unsettled. */
  whenDrained(): Promise<void> {
    if (this.#open === 0) return Promise.resolve();
    return new Promise((resolve) => this.#drained.push(resolve));
  }

  /** Stops the loop: every `whenRoom()` resolves, now and later. Unsettled messages stay counted. */
  close(): void {
    this.#closed = true;
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const waiter of waiters) waiter.resolve();
  }

  #settled(count = 1): void {
    this.#open -= count;
    if (this.#waiters.length > 0) {
      const room = this.room;
      const still = [];
      for (const waiter of this.#waiters) {
        if (waiter.room <= room) waiter.resolve();
        else still.push(waiter);
      }
      this.#waiters = still;
    }
    if (this.#open === 0 && this.#drained.length > 0) {
      const drained = this.#drained;
      this.#drained = [];
      for (const resolve of drained) resolve();
    }
  }
}
