/**
 * The building block of every in-memory emulation: a queue with competing consumers, a prefetch bound per
 * consumer, acknowledgement, redelivery (optionally delayed), a delivery limit and dead-lettering. Plugins
 * compose queues into their broker's routing model (RabbitMQ exchanges, NATS queue groups, SQS queues …),
 * and an {@linkcode Activity} tells the test broker when everything has settled.
 *
 * @module
 */

import { type Deliver, type IncomingMessage, type OutgoingMessage, SETTLED } from "../driver.ts";
import type { Activity } from "./activity.ts";
import { type DispatchConsumer, Dispatcher } from "./dispatcher.ts";

/** A message as a queue stores it. */
export interface StoredMessage {
  readonly channel: string;
  readonly body: Uint8Array;
  readonly headers: Readonly<Record<string, string>>;
  readonly contentType?: string;
  readonly correlationId?: string;
  readonly messageId?: string;
  readonly replyTo?: string;
  readonly key?: string;
  /** Whatever else an emulation wants to hand over as `raw`. */
  readonly raw?: unknown;
}

/** A published message as a queue stores it, on `channel`. */
export function storedMessage(channel: string, message: OutgoingMessage): StoredMessage {
  return {
    channel,
    body: message.body,
    headers: message.headers,
    contentType: message.contentType,
    correlationId: message.correlationId,
    messageId: message.messageId,
    replyTo: message.replyTo,
  };
}

interface Entry {
  readonly message: StoredMessage;
  deliveries: number;
}

interface Consumer extends DispatchConsumer {
  readonly deliver: Deliver;
}

/** Options of a queue. */
export interface MemoryQueueOptions {
  /** Tracks this queue for `settled()`. */
  readonly activity?: Activity;
  /** After this many deliveries a nacked message is dead-lettered instead of redelivered. */
  readonly maxDeliveries?: number;
  /** Receives rejected messages and those past `maxDeliveries`. */
  readonly deadLetter?: (message: StoredMessage, reason: "rejected" | "expired") => void;
}

/** A queue with competing consumers, as RabbitMQ has them; the core of every emulation. */
export class MemoryQueue {
  /** The queue's name. */
  readonly name: string;
  readonly #options: MemoryQueueOptions;
  #ready: Entry[] = [];
  #head = 0;
  #timers = 0;
  readonly #dispatcher: Dispatcher<Entry, Consumer>;

  /** Creates a queue; with `activity` it counts for `settled()`. */
  constructor(name: string, options: MemoryQueueOptions = {}) {
    this.name = name;
    this.#options = options;
    this.#dispatcher = new Dispatcher<Entry, Consumer>({
      peek: () => (this.#head < this.#ready.length ? this.#ready[this.#head] : undefined),
      hand: (entry, consumer) => this.#take(entry, consumer),
    }, options.activity);
    options.activity?.add(this);
  }

  /** Messages waiting for a consumer. */
  get size(): number {
    return this.#ready.length - this.#head;
  }

  /** Delivered and not yet settled. */
  get unsettled(): number {
    return this.#dispatcher.unsettled;
  }

  /** Consumers attached. */
  get consumers(): number {
    return this.#dispatcher.consumers;
  }

  /** Nothing is in flight: no unsettled message, no pending redelivery, no message waiting for a present consumer. */
  get quiet(): boolean {
    return this.#dispatcher.unsettled === 0 && this.#timers === 0 &&
      (this.size === 0 || this.#dispatcher.consumers === 0);
  }

  /** Adds a message at the back. */
  push(message: StoredMessage): void {
    this.#ready.push({ message, deliveries: 0 });
    this.#dispatcher.schedule();
  }

  /** Attaches a consumer that receives at most `prefetch` unsettled messages; returns its cancel function. */
  consume(prefetch: number, deliver: Deliver): () => void {
    const consumer: Consumer = { prefetch: Math.max(1, prefetch), deliver, unsettled: 0 };
    this.#dispatcher.add(consumer);
    return () => this.#dispatcher.remove(consumer);
  }

  /** Removes every waiting message; returns how many there were. */
  purge(): number {
    const count = this.size;
    this.#ready = [];
    this.#head = 0;
    this.#options.activity?.changed();
    return count;
  }

  /** Detaches the queue from its activity tracker. */
  dispose(): void {
    this.purge();
    this.#options.activity?.remove(this);
  }

  /** Takes the entry at the head (the one the dispatcher peeked) and delivers it. */
  #take(entry: Entry, consumer: Consumer): void {
    this.#ready[this.#head++] = undefined as unknown as Entry;
    if (this.#head > 1024 && this.#head * 2 > this.#ready.length) {
      this.#ready = this.#ready.slice(this.#head);
      this.#head = 0;
    }
    entry.deliveries++;
    this.#dispatcher.delivered(consumer);
    const delivery = new Delivery(this, consumer, entry);
    consumer.deliver(delivery).catch(() => delivery.nack());
  }

  /** Settles a delivery; called once per delivery by {@linkcode Delivery}. @internal */
  settle(consumer: Consumer, entry: Entry, outcome: "ack" | "nack" | "reject", delay: number): void {
    this.#dispatcher.settled(consumer);
    if (outcome === "nack") return this.#requeue(entry, delay);
    if (outcome === "reject") this.#options.deadLetter?.(entry.message, "rejected");
    this.#dispatcher.schedule();
  }

  #requeue(entry: Entry, delay: number): void {
    const max = this.#options.maxDeliveries;
    if (max !== undefined && entry.deliveries >= max) {
      this.#options.deadLetter?.(entry.message, "expired");
      this.#dispatcher.schedule();
      return;
    }
    const back = (): void => {
      // Returned messages go to the front, as RabbitMQ requeues them near their original position.
      if (this.#head > 0) this.#ready[--this.#head] = entry;
      else this.#ready.unshift(entry);
      this.#dispatcher.schedule();
    };
    if (delay <= 0) return back();
    this.#timers++;
    setTimeout(() => {
      this.#timers--;
      back();
    }, delay);
  }
}

/** One delivery of a stored message to one consumer; settles at most once. A class, not closures: it is made per message. */
class Delivery implements IncomingMessage {
  readonly #queue: MemoryQueue;
  readonly #consumer: Consumer;
  readonly #entry: Entry;
  #open = true;

  constructor(queue: MemoryQueue, consumer: Consumer, entry: Entry) {
    this.#queue = queue;
    this.#consumer = consumer;
    this.#entry = entry;
  }

  get channel(): string {
    return this.#entry.message.channel;
  }
  get body(): Uint8Array {
    return this.#entry.message.body;
  }
  get headers(): Readonly<Record<string, string>> {
    return this.#entry.message.headers;
  }
  get contentType(): string | undefined {
    return this.#entry.message.contentType;
  }
  get correlationId(): string | undefined {
    return this.#entry.message.correlationId;
  }
  get messageId(): string | undefined {
    return this.#entry.message.messageId;
  }
  get replyTo(): string | undefined {
    return this.#entry.message.replyTo;
  }
  get key(): string | undefined {
    return this.#entry.message.key;
  }
  get raw(): unknown {
    return this.#entry.message.raw;
  }
  get redelivered(): boolean {
    return this.#entry.deliveries > 1;
  }
  get deliveryCount(): number {
    return this.#entry.deliveries;
  }

  ack(): Promise<void> {
    return this.#settle("ack", 0);
  }
  nack(options?: { readonly delay?: number }): Promise<void> {
    return this.#settle("nack", options?.delay ?? 0);
  }
  reject(): Promise<void> {
    return this.#settle("reject", 0);
  }

  #settle(outcome: "ack" | "nack" | "reject", delay: number): Promise<void> {
    if (this.#open) {
      this.#open = false;
      this.#queue.settle(this.#consumer, this.#entry, outcome, delay);
    }
    // Settling is synchronous here: the core ends the message in the same turn.
    return SETTLED;
  }
}
