/**
 * Requests waiting for their replies, by correlation id: what the core's reply channel and every driver
 * with a request/reply of its own (RabbitMQ's direct reply-to, NATS's inbox) keep. Each request waits until
 * its reply, its timeout or its abort signal, whichever comes first; the timeouts share one timer
 * ({@linkcode Deadlines}).
 *
 * @module
 */

import { StateError, TimeoutError } from "../errors.ts";
import { type Deadline, Deadlines } from "./deadlines.ts";

interface Waiter<T> {
  readonly resolve: (reply: T) => void;
  readonly reject: (error: unknown) => void;
  deadline: Deadline | undefined;
  signal: AbortSignal | undefined;
  onAbort: (() => void) | undefined;
}

/**
 * Requests by id, each awaiting one reply.
 *
 * @example
 * ```ts
 * import { AwaitedReplies } from "@sluice/core/kit";
 * const replies = new AwaitedReplies<string>();
 * const reply = replies.wait("id-1", 5000, undefined, () => new Error("no reply from orders within 5 s"));
 * replies.resolve("id-1", "done"); // from the reply subscription
 * console.log(await reply); // "done"
 * ```
 */
export class AwaitedReplies<T> {
  readonly #waiting = new Map<string, Waiter<T>>();
  readonly #deadlines = new Deadlines();

  /** Requests waiting. */
  get size(): number {
    return this.#waiting.size;
  }

  /** Whether a request with this id waits. */
  has(id: string): boolean {
    return this.#waiting.has(id);
  }

  /**
   * Waits for the reply to `id`: resolves with what {@linkcode AwaitedReplies.resolve} hands over, rejects
   * with `timedOut()` after `timeout` ms, with the signal's reason when it aborts, or with what
   * {@linkcode AwaitedReplies.reject} gives. The promise may be awaited later — after the request was sent —
   * without its rejection counting as unhandled meanwhile. A wait for an id that already waits rejects with a
   * {@linkcode StateError} (a reply could not tell the two apart), and the first goes on waiting.
   */
  wait(id: string, timeout: number, signal: AbortSignal | undefined, timedOut: () => Error): Promise<T> {
    let waiter!: Waiter<T>;
    const reply = new Promise<T>((resolve, reject) => {
      waiter = { resolve, reject, deadline: undefined, signal: undefined, onAbort: undefined };
    });
    reply.catch(() => undefined);
    if (this.#waiting.has(id)) {
      waiter.reject(
        new StateError(`A request with correlation id ${id} is already waiting: give each request its own`),
      );
      return reply;
    }
    if (signal?.aborted) {
      waiter.reject(aborted(signal));
      return reply;
    }
    this.#waiting.set(id, waiter);
    waiter.deadline = this.#deadlines.add(timeout, () => this.#settle(id, waiter, timedOut(), true));
    if (signal) {
      const onAbort = () => this.#settle(id, waiter, aborted(signal), true);
      waiter.signal = signal;
      waiter.onAbort = onAbort;
      signal.addEventListener("abort", onAbort, { once: true });
    }
    return reply;
  }

  /** Hands `reply` to the request waiting for `id`; false when none waits (it timed out, or never was). */
  resolve(id: string, reply: T): boolean {
    const waiter = this.#waiting.get(id);
    if (!waiter) return false;
    this.#settle(id, waiter, reply, false);
    return true;
  }

  /** Fails the request waiting for `id`; false when none waits. */
  reject(id: string, error: Error): boolean {
    const waiter = this.#waiting.get(id);
    if (!waiter) return false;
    this.#settle(id, waiter, error, true);
    return true;
  }

  /** Fails every waiting request with `error` (the connection that would bring the replies is gone). */
  rejectAll(error: Error): void {
    for (const [id, waiter] of this.#waiting) this.#settle(id, waiter, error, true);
  }

  /** Fails every waiting request with `error` and stops the timer: for closing. */
  close(error: Error): void {
    this.rejectAll(error);
    this.#deadlines.clear();
  }

  #settle(id: string, waiter: Waiter<T>, outcome: unknown, failed: boolean): void {
    if (this.#waiting.get(id) !== waiter) return;
    this.#waiting.delete(id);
    waiter.deadline?.cancel();
    if (waiter.onAbort) waiter.signal!.removeEventListener("abort", waiter.onAbort);
    if (failed) waiter.reject(outcome);
    else waiter.resolve(outcome as T);
  }
}

/** What an aborted request rejects with: the signal's reason, as `fetch` does. */
function aborted(signal: AbortSignal): unknown {
  return signal.reason ?? new TimeoutError("The request was aborted");
}
