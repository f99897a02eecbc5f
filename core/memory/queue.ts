/**
 * The building block of every in-memory emulation: a queue with competing consumers, a prefetch bound per
 * consumer, acknowledgement, redelivery (optionally delayed), a delivery limit and dead-lettering. Plugins
 * compose queues into their broker's routing model (RabbitMQ exchanges, NATS queue groups, SQS queues …),
 * and an {@linkcode Activity} tells the test broker when everything has settled.
 *
 * @module
 */

import type { Deliver, IncomingMessage } from "../driver.ts";

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

interface Entry {
  readonly message: StoredMessage;
  deliveries: number;
}

interface Consumer {
  readonly prefetch: number;
  readonly deliver: Deliver;
  unsettled: number;
  active: boolean;
}

/**
 * Counts what is still moving through a set of queues, so that a test can wait until nothing is.
 */
export class Activity {
  readonly #queues = new Set<MemoryQueue>();
  #waiters: (() => void)[] = [];
  #checking = false;

  /** @internal */
  add(queue: MemoryQueue): void {
    this.#queues.add(queue);
  }
  /** @internal */
  remove(queue: MemoryQueue): void {
    this.#queues.delete(queue);
    this.changed();
  }

  /** Whether every queue is quiet. */
  get idle(): boolean {
    for (const queue of this.#queues) if (!queue.quiet) return false;
    return true;
  }

  /** Resolves once every queue is quiet. */
  whenIdle(): Promise<void> {
    if (this.idle) return Promise.resolve();
    return new Promise((resolve) => this.#waiters.push(resolve));
  }

  /** Queues call this when their state changed. */
  changed(): void {
    if (this.#waiters.length === 0 || this.#checking) return;
    // Checked a macrotask later: work that a settled handler started (its awaits) gets to run first.
    this.#checking = true;
    setTimeout(() => {
      this.#checking = false;
      if (!this.idle) return;
      const waiters = this.#waiters;
      this.#waiters = [];
      for (const resolve of waiters) resolve();
    }, 0);
  }
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
  readonly #consumers: Consumer[] = [];
  #next = 0;
  #unsettled = 0;
  #timers = 0;
  #scheduled = false;

  /** Creates a queue; with `activity` it counts for `settled()`. */
  constructor(name: string, options: MemoryQueueOptions = {}) {
    this.name = name;
    this.#options = options;
    options.activity?.add(this);
  }

  /** Messages waiting for a consumer. */
  get size(): number {
    return this.#ready.length - this.#head;
  }

  /** Delivered and not yet settled. */
  get unsettled(): number {
    return this.#unsettled;
  }

  /** Consumers attached. */
  get consumers(): number {
    return this.#consumers.length;
  }

  /** Nothing is in flight: no unsettled message, no pending redelivery, no message waiting for a present consumer. */
  get quiet(): boolean {
    return this.#unsettled === 0 && this.#timers === 0 && (this.size === 0 || this.#consumers.length === 0);
  }

  /** Adds a message at the back. */
  push(message: StoredMessage): void {
    this.#ready.push({ message, deliveries: 0 });
    this.#schedule();
  }

  /** Attaches a consumer that receives at most `prefetch` unsettled messages; returns its cancel function. */
  consume(prefetch: number, deliver: Deliver): () => void {
    const consumer: Consumer = { prefetch: Math.max(1, prefetch), deliver, unsettled: 0, active: true };
    this.#consumers.push(consumer);
    this.#schedule();
    return () => {
      consumer.active = false;
      const i = this.#consumers.indexOf(consumer);
      if (i !== -1) this.#consumers.splice(i, 1);
      this.#options.activity?.changed();
    };
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

  #schedule(): void {
    if (this.#scheduled) return;
    this.#scheduled = true;
    queueMicrotask(() => {
      this.#scheduled = false;
      this.#dispatch();
    });
  }

  #dispatch(): void {
    const consumers = this.#consumers;
    while (this.#head < this.#ready.length && consumers.length > 0) {
      let chosen: Consumer | undefined;
      for (let tries = 0; tries < consumers.length; tries++) {
        const candidate = consumers[this.#next++ % consumers.length]!;
        if (candidate.unsettled < candidate.prefetch) {
          chosen = candidate;
          break;
        }
      }
      if (!chosen) break;
      const entry = this.#ready[this.#head]!;
      this.#ready[this.#head++] = undefined as unknown as Entry;
      if (this.#head > 1024 && this.#head * 2 > this.#ready.length) {
        this.#ready = this.#ready.slice(this.#head);
        this.#head = 0;
      }
      this.#deliver(chosen, entry);
    }
    this.#options.activity?.changed();
  }

  #deliver(consumer: Consumer, entry: Entry): void {
    entry.deliveries++;
    consumer.unsettled++;
    this.#unsettled++;
    let open = true;
    const settle = (): boolean => {
      if (!open) return false;
      open = false;
      consumer.unsettled--;
      this.#unsettled--;
      return true;
    };
    const { message } = entry;
    const incoming: IncomingMessage = {
      channel: message.channel,
      body: message.body,
      headers: message.headers,
      contentType: message.contentType,
      correlationId: message.correlationId,
      messageId: message.messageId,
      replyTo: message.replyTo,
      key: message.key,
      raw: message.raw,
      redelivered: entry.deliveries > 1,
      deliveryCount: entry.deliveries,
      ack: () => {
        if (settle()) this.#schedule();
        return Promise.resolve();
      },
      nack: (options) => {
        if (settle()) this.#requeue(entry, options?.delay ?? 0);
        return Promise.resolve();
      },
      reject: () => {
        if (settle()) {
          this.#options.deadLetter?.(message, "rejected");
          this.#schedule();
        }
        return Promise.resolve();
      },
    };
    consumer.deliver(incoming).catch(() => incoming.nack());
  }

  #requeue(entry: Entry, delay: number): void {
    const max = this.#options.maxDeliveries;
    if (max !== undefined && entry.deliveries >= max) {
      this.#options.deadLetter?.(entry.message, "expired");
      this.#schedule();
      return;
    }
    const back = (): void => {
      // Returned messages go to the front, as RabbitMQ requeues them near their original position.
      if (this.#head > 0) this.#ready[--this.#head] = entry;
      else this.#ready.unshift(entry);
      this.#schedule();
    };
    if (delay <= 0) return back();
    this.#timers++;
    setTimeout(() => {
      this.#timers--;
      back();
    }, delay);
  }
}
