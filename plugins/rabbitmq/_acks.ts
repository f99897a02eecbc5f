/**
 * The settlements of one consumer channel, with acks coalesced.
 *
 * amqplib writes one `basic.ack` frame, and one socket write, per `ack()`: in a drain that is where most of a
 * consumer's CPU goes (a profile of `bench/rabbitmq/bench.ts raw drain` under Bun: ~50 % of the samples in
 * the socket's write). RabbitMQ's `basic.ack` with `multiple` settles every outstanding delivery of the channel
 * up to a tag, so when messages settle in the order they came — a consumer at concurrency 1, or handlers that
 * finish in order — one frame acks everything that settled in one turn of the event loop.
 *
 * A multiple ack must not cover a delivery the core still holds: only a delivery that is the oldest unsettled
 * one of the channel extends the batch (with the settled ones after it); a delivery acked while an older one
 * is still held (a slow handler, a delayed nack) is acked alone at once, as before. At a prefetch of 1 every
 * ack is sent at once: RabbitMQ sends the next delivery only after it, so waiting would only delay that
 * delivery (a request/reply responder's next request, say). Nacks and rejects are sent at once. The batch is
 * sent on the event loop's next check phase (`setImmediate`), or before the channel closes: a consumer that
 * stops or is disposed sends its acks first, so nothing acked comes back.
 *
 * The deliveries the core holds are bounded by the prefetch (RabbitMQ sends no more), so the queue of
 * deliveries is compacted to the unsettled ones when it outgrows twice the prefetch.
 *
 * @module
 */

import { setImmediate } from "node:timers";
import type { Channel, ConsumeMessage } from "amqplib";

/** A delivery as the batch tracks it: amqplib's message and whether the core settled it. */
export interface Delivery {
  readonly raw: ConsumeMessage;
  readonly settled: boolean;
}

/** The settlements of one channel. */
export class Settlements {
  /** The channel the deliveries came on. */
  readonly channel: Channel;
  readonly #limit: number;
  /** A prefetch of 1: no delivery comes before the last one's ack, so there is never a batch to wait for. */
  readonly #alone: boolean;
  readonly #onError: (error: unknown) => void;
  /** Deliveries in the order they came, from `#head`: the first is the oldest one not known settled. */
  #deliveries: Delivery[] = [];
  #head = 0;
  /** The last delivery of the settled prefix whose ack is not sent yet. */
  #upTo: ConsumeMessage | undefined;
  #scheduled = false;
  readonly #flush = (): void => {
    this.#scheduled = false;
    this.flush();
  };

  /** The settlements of `channel`, consuming with `prefetch`; `onError` sees a settlement amqplib refused. */
  constructor(channel: Channel, prefetch: number, onError: (error: unknown) => void) {
    this.channel = channel;
    this.#limit = 2 * Math.max(1, prefetch) + 16;
    this.#alone = prefetch <= 1;
    this.#onError = onError;
  }

  /** Tracks a delivery until it settles; deliveries come in the order of their tags. */
  track(delivery: Delivery): void {
    if (this.#deliveries.length - this.#head >= this.#limit) this.#compact();
    this.#deliveries.push(delivery);
  }

  /** Acks a delivery just settled: with the batch if it was the oldest unsettled one, else at once. */
  ack(delivery: Delivery): void {
    const oldest = this.#deliveries[this.#head] === delivery;
    if (oldest) this.#advance();
    if (!oldest || this.#alone) return this.#send(() => this.channel.ack(delivery.raw));
    this.#upTo = delivery.raw;
    if (!this.#scheduled) {
      this.#scheduled = true;
      setImmediate(this.#flush);
    }
  }

  /** Nacks (requeue) or rejects (dead-letter) a delivery just settled, at once. */
  refuse(delivery: Delivery, requeue: boolean): void {
    if (this.#deliveries[this.#head] === delivery) this.#advance();
    this.#send(() =>
      requeue ? this.channel.nack(delivery.raw, false, true) : this.channel.reject(delivery.raw, false)
    );
  }

  /** Sends the acks of the batch now. */
  flush(): void {
    const upTo = this.#upTo;
    if (upTo === undefined) return;
    this.#upTo = undefined;
    this.#send(() => this.channel.ack(upTo, true));
  }

  /** Moves the head past the settled deliveries at it. */
  #advance(): void {
    const deliveries = this.#deliveries;
    let head = this.#head;
    while (head < deliveries.length && deliveries[head]!.settled) head++;
    if (head === deliveries.length) {
      deliveries.length = 0;
      this.#head = 0;
    } else this.#head = head;
  }

  /** Keeps only the unsettled deliveries (at most the prefetch). */
  #compact(): void {
    this.#deliveries = this.#deliveries.slice(this.#head).filter((delivery) => !delivery.settled);
    this.#head = 0;
  }

  #send(settle: () => void): void {
    try {
      settle();
    } catch (error) {
      this.#onError(error);
    }
  }
}
