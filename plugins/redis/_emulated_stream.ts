/**
 * The emulation of a Redis stream with consumer groups: an append-only log trimmed by `maxLen`, and per
 * group a cursor, competing consumers and a pending entries list (PEL) — an entry stays pending, owned by
 * the consumer it was delivered to, until acknowledged. `nack()` takes it back after its delay (as `XCLAIM`
 * does), and a consumer with `claimIdle` takes over entries idle that long (as `XAUTOCLAIM` does), whoever
 * holds them. A group's new entries go to its consumers through the kit's {@linkcode Dispatcher}, and each
 * group is a part of the emulation's {@linkcode Activity}.
 *
 * @module
 */

import type { Deliver, IncomingMessage } from "@sluice/core";
import { OptionError } from "@sluice/core";
import { type Activity, type DispatchConsumer, Dispatcher, type StoredMessage } from "@sluice/core/kit";

interface Entry {
  readonly seq: number;
  readonly id: string;
  readonly message: StoredMessage;
}

interface Pending {
  entry: Entry;
  consumer: string;
  deliveries: number;
  since: number;
}

interface Consumer extends DispatchConsumer {
  readonly name: string;
  readonly deliver: Deliver;
  active: boolean;
  timer?: ReturnType<typeof setInterval>;
}

/** Options of a consumer joining a group. */
export interface EmulatedConsumerOptions {
  readonly name: string;
  readonly prefetch: number;
  readonly claimIdle: number | false;
  readonly claimInterval?: number;
}

/** A consumer group of an emulated stream. */
export class EmulatedGroup {
  readonly name: string;
  readonly #stream: EmulatedStream;
  #cursor: number;
  readonly pending = new Map<string, Pending>();
  readonly #dispatcher: Dispatcher<Entry, Consumer>;
  #timers = 0;

  constructor(stream: EmulatedStream, name: string, cursor: number, activity: Activity) {
    this.#stream = stream;
    this.name = name;
    this.#cursor = cursor;
    this.#dispatcher = new Dispatcher<Entry, Consumer>({
      peek: () => this.#stream.after(this.#cursor),
      hand: (entry, consumer) => {
        this.#cursor = entry.seq;
        this.#deliver(consumer, entry, 1);
      },
    }, activity);
  }

  /** Nothing is being handled or waiting for a present consumer. */
  get quiet(): boolean {
    return this.#dispatcher.unsettled === 0 && this.#timers === 0 &&
      (this.#dispatcher.consumers === 0 || !this.#stream.hasAfter(this.#cursor));
  }

  /** Adds a consumer; its own pending entries (a restart under the same name) are delivered first. */
  join(options: EmulatedConsumerOptions, deliver: Deliver): () => void {
    const consumer: Consumer = {
      name: options.name,
      prefetch: Math.max(1, options.prefetch),
      deliver,
      unsettled: 0,
      active: true,
    };
    this.#dispatcher.add(consumer);
    for (const pending of this.pending.values()) {
      if (pending.consumer === consumer.name) this.#deliver(consumer, pending.entry, pending.deliveries + 1);
    }
    const idle = options.claimIdle;
    if (idle !== false) {
      consumer.timer = setInterval(
        () => this.#claim(consumer, idle),
        options.claimInterval ?? Math.min(idle, 5000),
      );
    }
    return () => {
      consumer.active = false;
      clearInterval(consumer.timer);
      this.#dispatcher.remove(consumer);
    };
  }

  /** Hands new entries to the consumers soon. */
  schedule(): void {
    this.#dispatcher.schedule();
  }

  #claim(consumer: Consumer, idle: number): void {
    const now = Date.now();
    for (const [id, pending] of this.pending) {
      if (!this.#dispatcher.hasRoom(consumer)) break;
      if (now - pending.since < idle) continue;
      if (!this.#stream.has(id)) {
        this.pending.delete(id);
        continue;
      }
      this.#deliver(consumer, pending.entry, pending.deliveries + 1);
    }
  }

  #deliver(consumer: Consumer, entry: Entry, deliveries: number): void {
    const id = entry.id;
    this.pending.set(id, { entry, consumer: consumer.name, deliveries, since: Date.now() });
    let open = true;
    const settle = (): boolean => {
      if (!open) return false;
      open = false;
      return true;
    };
    const ack = (): Promise<void> => {
      if (settle()) this.pending.delete(id);
      return Promise.resolve();
    };
    const { message } = entry;
    const incoming: IncomingMessage = {
      channel: message.channel,
      body: message.body,
      headers: message.headers,
      contentType: message.contentType,
      correlationId: message.correlationId,
      messageId: message.messageId ?? id,
      replyTo: message.replyTo,
      redelivered: deliveries > 1,
      deliveryCount: deliveries,
      raw: { stream: message.channel, id, group: this.name, consumer: consumer.name },
      ack,
      reject: ack,
      nack: (options) => {
        if (!settle()) return Promise.resolve();
        this.#timers++;
        setTimeout(() => {
          this.#timers--;
          const pending = this.pending.get(id);
          if (pending && consumer.active) this.#deliver(consumer, entry, pending.deliveries + 1);
          this.#stream.changed();
        }, options?.delay ?? 0);
        return Promise.resolve();
      },
    };
    this.#dispatcher.delivered(consumer);
    const done = (): void => {
      this.#dispatcher.settled(consumer);
      this.#dispatcher.schedule();
    };
    consumer.deliver(incoming).then(done, done);
  }
}

/** An emulated stream: entries and groups. */
export class EmulatedStream {
  readonly key: string;
  readonly #groups = new Map<string, EmulatedGroup>();
  #entries: Entry[] = [];
  #seq = 0;
  #lastMs = 0;
  readonly #activity: Activity;

  /** A stream whose groups are parts of `activity`. */
  constructor(key: string, activity: Activity) {
    this.key = key;
    this.#activity = activity;
  }

  /** Tells the emulation something moved. */
  changed(): void {
    this.#activity.changed();
  }

  /** The consumer groups by name. */
  get groups(): ReadonlyMap<string, EmulatedGroup> {
    return this.#groups;
  }

  /** Entries in the stream. */
  get length(): number {
    return this.#entries.length;
  }

  /** Appends an entry (`XADD`), trimming to `maxLen` (exactly, even when `~` was asked). */
  add(message: StoredMessage, maxLen?: number): string {
    const now = Math.max(Date.now(), this.#lastMs);
    const seq = ++this.#seq;
    const id = `${now}-${seq}`;
    this.#lastMs = now;
    this.#entries.push({ seq, id, message });
    if (maxLen !== undefined && this.#entries.length > maxLen) {
      this.#entries = this.#entries.slice(this.#entries.length - maxLen);
    }
    for (const group of this.#groups.values()) group.schedule();
    return id;
  }

  /** `XGROUP CREATE ... MKSTREAM` (when `create`), or a clear error for a missing group. */
  group(name: string, create: boolean, startId: string): EmulatedGroup {
    let group = this.#groups.get(name);
    if (group) return group;
    if (!create) {
      throw new OptionError(
        `The consumer group "${name}" does not exist on stream "${this.key}": create it with ` +
          `XGROUP CREATE ${this.key} ${name} $ MKSTREAM, or set stream: { createGroup: true }`,
      );
    }
    group = new EmulatedGroup(this, name, startId === "$" ? this.#seq : 0, this.#activity);
    this.#groups.set(name, group);
    this.#activity.add(group);
    return group;
  }

  /** Removes a group (`XGROUP DESTROY`), a private one when its subscriber stops. */
  destroy(name: string): void {
    const group = this.#groups.get(name);
    if (!group) return;
    this.#groups.delete(name);
    this.#activity.remove(group);
  }

  /** Whether an entry is still in the stream. */
  has(id: string): boolean {
    return this.#entries.some((e) => e.id === id);
  }

  /** Whether entries follow `seq`. */
  hasAfter(seq: number): boolean {
    return this.#entries.length > 0 && this.#entries[this.#entries.length - 1]!.seq > seq;
  }

  /** The first entry after `seq`. */
  after(seq: number): Entry | undefined {
    for (const entry of this.#entries) if (entry.seq > seq) return entry;
    return undefined;
  }
}
