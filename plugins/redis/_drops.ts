/**
 * What a Pub/Sub subscriber that falls behind does with new messages. Redis keeps nothing for it, so messages
 * beyond the subscriber's prefetch wait in this process; past its `pending` bounds a new message is dropped,
 * as NATS clients drop a slow consumer's, rather than held until the process runs out of memory. Pausing the
 * socket instead would stall every subscription of the shared connection, and Redis closes a subscriber whose
 * output buffer passes its `client-output-buffer-limit pubsub` (32 MB by default), losing what it held for all
 * of them. The driver and the emulation share this.
 *
 * @module
 */

import type { Logger } from "@sluice/core";
import type { PendingLimits } from "./options.ts";

/** Whether a new message of `size` bytes finds no room beside `count` messages of `bytes` bytes waiting. */
export function overLimit(pending: PendingLimits, count: number, bytes: number, size: number): boolean {
  return count >= pending.messages || bytes + size > pending.bytes;
}

/** Counts one subscriber's dropped messages and warns when dropping starts, every 10 s of it, and when it ends. */
export class Drops {
  readonly #channel: string;
  readonly #logger: Logger;
  #count = 0;
  #warned = 0;

  constructor(channel: string, logger: Logger) {
    this.#channel = channel;
    this.#logger = logger;
  }

  /** Whether messages were dropped since the subscriber last caught up. */
  get any(): boolean {
    return this.#count > 0;
  }

  /** One message dropped while `count` messages of `bytes` bytes were waiting. */
  drop(count: number, bytes: number): void {
    const now = Date.now();
    if (this.#count++ > 0 && now - this.#warned < 10_000) return;
    this.#warned = now;
    this.#logger.warn(
      `Redis Pub/Sub subscriber ${this.#channel} is ${count} messages (${bytes} bytes) behind its handler: ` +
        `dropping new messages until it catches up, ${this.#count} so far (Redis keeps none for a slow ` +
        `subscriber; raise pubsub.maxPending or pubsub.maxPendingBytes, or consume a list or stream)`,
    );
  }

  /** Nothing waits any more. */
  caughtUp(): void {
    this.#logger.warn(
      `Redis Pub/Sub subscriber ${this.#channel} caught up after dropping ${this.#count} messages`,
    );
    this.#count = 0;
  }
}
