/**
 * Mocks record what handlers received and publishers sent while a test broker is active.
 *
 * @module
 */

import { TimeoutError } from "./errors.ts";

/** One recorded call. */
export interface MockCall<Body> {
  /** The body the handler received or the publisher sent. */
  readonly body: Body;
  /** The channel. */
  readonly channel: string;
  /** The headers. */
  readonly headers: Readonly<Record<string, string>>;
  /** The correlation id. */
  readonly correlationId: string | undefined;
}

interface Waiter<Body> {
  readonly predicate: (call: MockCall<Body>) => boolean;
  readonly resolve: (call: MockCall<Body>) => void;
}

/**
 * The calls of a handler or publisher. Recording is on only while a test broker is active, so production
 * apps keep nothing.
 */
export class Mock<Body> {
  /** Every call so far, oldest first. */
  readonly calls: MockCall<Body>[] = [];
  #waiters: Waiter<Body>[] = [];

  /** The newest call, if any. */
  get lastCall(): MockCall<Body> | undefined {
    return this.calls[this.calls.length - 1];
  }

  /**
   * Resolves with the first call (already made or still to come) that satisfies `predicate`; rejects with a
   * {@linkcode TimeoutError} after `timeout` ms (1000 by default).
   */
  waitForCall(
    predicate: (call: MockCall<Body>) => boolean = () => true,
    options: { readonly timeout?: number } = {},
  ): Promise<MockCall<Body>> {
    const found = this.calls.find(predicate);
    if (found) return Promise.resolve(found);
    const timeout = options.timeout ?? 1000;
    return new Promise((resolve, reject) => {
      const waiter: Waiter<Body> = {
        predicate,
        resolve: (call) => {
          clearTimeout(timer);
          resolve(call);
        },
      };
      const timer = setTimeout(() => {
        this.#waiters = this.#waiters.filter((w) => w !== waiter);
        reject(
          new TimeoutError(`No matching call within ${timeout} ms (${this.calls.length} calls recorded)`),
        );
      }, timeout);
      this.#waiters.push(waiter);
    });
  }

  /** Forgets every call. */
  reset(): void {
    this.calls.length = 0;
  }

  /** Records a call; used by the core. */
  record(call: MockCall<Body>): void {
    this.calls.push(call);
    if (this.#waiters.length === 0) return;
    const still: Waiter<Body>[] = [];
    for (const waiter of this.#waiters) {
      if (waiter.predicate(call)) waiter.resolve(call);
      else still.push(waiter);
    }
    this.#waiters = still;
  }
}
