/**
 * Bounds on what waits for a slow handler on a transport without flow control (Redis Pub/Sub, core NATS):
 * the broker keeps nothing for a subscriber that falls behind, so what arrives beyond the prefetch waits in
 * the process, and past these bounds a new message is dropped — as the NATS clients of Go, Java and Python
 * drop a slow consumer's — rather than held until the process runs out of memory. Pausing the socket instead
 * would stall every subscription sharing the connection, and the server would then close it (Redis at its
 * `client-output-buffer-limit pubsub`, NATS at its `max_pending`), losing what it held for all of them.
 *
 * @module
 */

import type { Deliver, SubscriptionEvents } from "../driver.ts";
import type { Logger } from "../logger.ts";
import type { MemoryQueue, StoredMessage } from "../memory/queue.ts";

/** How much may wait for a handler beyond its prefetch. */
export interface PendingLimits {
  /** Messages. */
  readonly messages: number;
  /** Bytes of bodies. */
  readonly bytes: number;
}

/** The NATS clients' defaults: 65,536 messages, 64 MiB. */
export const DEFAULT_PENDING: PendingLimits = { messages: 65_536, bytes: 64 * 1024 * 1024 };

/** The limits of a subscriber's options, the defaults where they name none. */
export function pendingLimits(
  options: { readonly maxPending?: number; readonly maxPendingBytes?: number },
): PendingLimits {
  return {
    messages: options.maxPending ?? DEFAULT_PENDING.messages,
    bytes: options.maxPendingBytes ?? DEFAULT_PENDING.bytes,
  };
}

/** Whether a new message of `size` bytes finds no room beside `count` messages of `bytes` bytes waiting. */
export function overLimit(limits: PendingLimits, count: number, bytes: number, size: number): boolean {
  return count >= limits.messages || bytes + size > limits.bytes;
}

/**
 * Counts one subscriber's dropped messages, tells the core of each (its middlewares count them), and warns
 * when dropping starts, every 10 s while it goes on, and when the handler catches up, with the count.
 */
export class SlowConsumer {
  readonly #subscriber: string;
  readonly #advice: string;
  readonly #logger: Logger;
  readonly #events: SubscriptionEvents | undefined;
  #count = 0;
  #warned = 0;

  /**
   * `subscriber` names it in the warnings ("Redis Pub/Sub subscriber orders"); `advice` says what to change
   * ("raise pubsub.maxPending …"); `events` are the subscription's, where the driver was given them.
   */
  constructor(subscriber: string, advice: string, logger: Logger, events?: SubscriptionEvents) {
    this.#subscriber = subscriber;
    this.#advice = advice;
    this.#logger = logger;
    this.#events = events;
  }

  /** Whether messages were dropped since the subscriber last caught up. */
  get dropping(): boolean {
    return this.#count > 0;
  }

  /** One message of `channel` dropped while `count` messages of `bytes` bytes were waiting. */
  drop(channel: string, count: number, bytes: number): void {
    this.#events?.dropped(channel);
    const now = Date.now();
    if (this.#count++ > 0 && now - this.#warned < 10_000) return;
    this.#warned = now;
    this.#logger.warn(
      `${this.#subscriber} is ${count} messages (${bytes} bytes) behind its handler: dropping new messages ` +
        `until it catches up, ${this.#count} so far (${this.#advice})`,
    );
  }

  /** Nothing waits any more: the last message that waited was handed over, or a new one needed no wait. */
  caughtUp(): void {
    this.#logger.warn(`${this.#subscriber} caught up after dropping ${this.#count} messages`);
    this.#count = 0;
  }
}

/**
 * The messages waiting for a handler on a transport without flow control, in order, within `limits`. A
 * driver hands a new message over at once while its prefetch has room and nothing waits (and says so with
 * `bypassed()`); otherwise it asks `admits(size)`, which counts and reports a message that finds no room, and
 * pushes the one admitted. The queue reports the subscriber caught up when it empties.
 */
export class PendingQueue<T> {
  readonly #limits: PendingLimits;
  readonly #slow: SlowConsumer;
  readonly #size: (item: T) => number;
  #items: (T | undefined)[] = [];
  #head = 0;
  #bytes = 0;

  /** `size` gives the bytes an item counts for while it waits. */
  constructor(limits: PendingLimits, slow: SlowConsumer, size: (item: T) => number) {
    this.#limits = limits;
    this.#slow = slow;
    this.#size = size;
  }

  /** Messages waiting. */
  get length(): number {
    return this.#items.length - this.#head;
  }

  /** A new message went to the handler without waiting. */
  bypassed(): void {
    this.#caughtUp();
  }

  /** Whether a new message of `size` bytes on `channel` may wait; one that may not is counted as dropped. */
  admits(size: number, channel: string): boolean {
    const count = this.length;
    if (!overLimit(this.#limits, count, this.#bytes, size)) return true;
    this.#slow.drop(channel, count, this.#bytes);
    return false;
  }

  /** Adds a message at the back: one admitted, or one returned for redelivery, which is never dropped. */
  push(item: T): void {
    this.#items.push(item);
    this.#bytes += this.#size(item);
  }

  /** Takes the message at the front; call it only while `length` is above 0. */
  shift(): T {
    const item = this.#items[this.#head]!;
    this.#items[this.#head++] = undefined;
    this.#bytes -= this.#size(item);
    if (this.#head === this.#items.length) {
      this.#items = [];
      this.#head = 0;
      this.#caughtUp();
    }
    return item;
  }

  /** Takes every message waiting. */
  clear(): T[] {
    const rest = this.#items.slice(this.#head) as T[];
    this.#items = [];
    this.#head = 0;
    this.#bytes = 0;
    return rest;
  }

  #caughtUp(): void {
    if (this.#slow.dropping) this.#slow.caughtUp();
  }
}

/**
 * An emulation's copy of a driver's bounds: a new message for `queue` is dropped when the driver would drop
 * it. The queue hands messages over a turn after they arrive, where a driver hands them at once while the
 * prefetch has room; so a message that found room when it arrived counts as handed over, and only the others
 * count as waiting.
 */
export class PendingBound {
  readonly #queue: MemoryQueue;
  readonly #slow: SlowConsumer;
  /** The bytes counted as waiting. */
  #bytes = 0;
  /** Per message not handed over yet, in order: the bytes it counts as waiting (0 if it found room). */
  #counted: number[] = [];
  #head = 0;

  constructor(queue: MemoryQueue, slow: SlowConsumer) {
    this.#queue = queue;
    this.#slow = slow;
  }

  /** A new message: queued, or dropped when what waits beyond `prefetch` is at `limits`. */
  offer(message: StoredMessage, prefetch: number, limits: PendingLimits): void {
    const size = message.body.length;
    const queue = this.#queue;
    const count = queue.size - Math.max(0, prefetch - queue.unsettled);
    if (count < 0) {
      if (this.#slow.dropping) this.#slow.caughtUp();
      this.#counted.push(0);
    } else if (overLimit(limits, count, this.#bytes, size)) {
      return this.#slow.drop(message.channel, count, this.#bytes);
    } else {
      this.#counted.push(size);
      this.#bytes += size;
    }
    queue.push(message);
  }

  /** `deliver`, telling this bound of each message handed over (a redelivery was counted already). */
  delivering(deliver: Deliver): Deliver {
    return (incoming) => {
      if (incoming.deliveryCount === 1) {
        this.#bytes -= this.#counted[this.#head++]!;
        if (this.#head === this.#counted.length) {
          this.#counted = [];
          this.#head = 0;
          if (this.#slow.dropping) this.#slow.caughtUp();
        }
      }
      return deliver(incoming);
    };
  }
}
