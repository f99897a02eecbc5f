/**
 * One SQS queue in memory, as SQS defines it: messages stay until deleted; a received message is invisible
 * for the visibility timeout (extended while its handler works when the consumer beats its heart) and
 * returns when it runs out or is nacked; every receive counts, and past the redrive policy's
 * `maxReceiveCount` a message moves to the dead-letter queue; FIFO queues hand out a group's messages one at
 * a time, in order, and drop duplicates within 5 minutes; delays and retention hold. Messages go to the
 * consumers through the kit's {@linkcode Dispatcher}.
 *
 * @module
 */

import type { Deliver, IncomingMessage } from "@sluice/core";
import { type Activity, type DispatchConsumer, Dispatcher } from "@sluice/core/kit";
import { nackSeconds } from "./_settlement.ts";
import { fromSqs, type SqsAttribute } from "./message.ts";

/** A message as SendMessage takes it. */
export interface EmulatedSend {
  readonly MessageBody: string;
  readonly MessageAttributes: Record<string, SqsAttribute>;
  readonly DelaySeconds?: number;
  readonly MessageGroupId?: string;
  readonly MessageDeduplicationId?: string;
}

/** A queue's attributes. */
export interface EmulatedQueueConfig {
  fifo: boolean;
  /** Seconds. */
  visibilityTimeout: number;
  /** Seconds. */
  delaySeconds: number;
  /** Seconds. */
  retentionPeriod: number;
  contentBasedDeduplication: boolean;
  /** The redrive target, looked up when a message moves. */
  deadLetter?: { readonly queue: () => EmulatedQueue; readonly maxReceiveCount: number };
}

interface Entry {
  readonly seq: number;
  readonly id: string;
  readonly send: EmulatedSend;
  readonly sentAt: number;
  receiveCount: number;
  visibleAt: number;
  /** The current receipt; 0 while not in flight. */
  receipt: number;
  /** The receive (batch) that took it while in flight; 0 otherwise. */
  batch: number;
}

/** A consumer's settings. */
export interface EmulatedConsumer {
  readonly prefetch: number;
  readonly heartbeat: boolean;
  /** Seconds of invisibility per receive; the queue's by default. */
  readonly visibilityTimeout?: number;
}

interface Consumer extends EmulatedConsumer, DispatchConsumer {
  readonly deliver: Deliver;
  /** The dispatch pass of its current receive, the receive's number, and how many messages it took. */
  pass: number;
  batch: number;
  taken: number;
}

/** The most messages one ReceiveMessage returns. */
const RECEIVE_MAX = 10;

const DEDUPLICATION_MS = 5 * 60_000;
let receipts = 0;
let ids = 0;
let batches = 0;

/** An SQS queue in memory. */
export class EmulatedQueue {
  /** The queue's name. */
  readonly name: string;
  /** Its attributes; a re-declaration changes them, as SetQueueAttributes does. */
  config: EmulatedQueueConfig;
  readonly #tracker: Activity;
  #entries: Entry[] = [];
  readonly #dispatcher: Dispatcher<Entry, Consumer>;
  readonly #deduplication = new Map<string, number>();
  #seq = 0;
  #inFlight = 0;
  #timers = new Set<ReturnType<typeof setTimeout>>();
  /** The clock of the current dispatch pass. */
  #now = 0;
  /** Dispatch passes so far: each pass is one receive per consumer, as the driver's ReceiveMessage. */
  #pass = 0;

  /** Creates a queue tracked by `tracker`. */
  constructor(name: string, config: EmulatedQueueConfig, tracker: Activity) {
    this.name = name;
    this.config = config;
    this.#tracker = tracker;
    this.#dispatcher = new Dispatcher<Entry, Consumer>({
      begin: () => this.#expire(),
      peek: (consumer) => this.#available(this.#now, consumer),
      hand: (entry, consumer) => this.#hand(entry, consumer),
    }, tracker);
    tracker.add(this);
  }

  /** Messages stored, visible or not. */
  get size(): number {
    return this.#entries.length;
  }

  /** Nothing in flight, and nothing a consumer could get now or after a pending delay. */
  get quiet(): boolean {
    if (this.#inFlight > 0) return false;
    if (this.#dispatcher.consumers === 0) return true;
    return this.#timers.size === 0 && this.#available(Date.now()) === undefined;
  }

  /** Stores a message, unless it is a FIFO duplicate. */
  send(send: EmulatedSend): void {
    const now = Date.now();
    if (this.config.fifo) {
      const id = send.MessageDeduplicationId ??
        (this.config.contentBasedDeduplication ? `body:${send.MessageBody}` : undefined);
      if (id !== undefined) {
        for (const [key, until] of this.#deduplication) if (until <= now) this.#deduplication.delete(key);
        if (this.#deduplication.has(id)) return;
        this.#deduplication.set(id, now + DEDUPLICATION_MS);
      }
    }
    const delay = (send.DelaySeconds ?? this.config.delaySeconds) * 1000;
    this.#entries.push({
      seq: ++this.#seq,
      id: `emulated-${++ids}`,
      send,
      sentAt: now,
      receiveCount: 0,
      visibleAt: now + delay,
      receipt: 0,
      batch: 0,
    });
    if (delay > 0) this.#wakeAt(now + delay);
    this.#dispatcher.schedule();
  }

  /** Attaches a consumer; returns its cancel function. */
  consume(settings: EmulatedConsumer, deliver: Deliver): () => void {
    const consumer: Consumer = {
      ...settings,
      prefetch: Math.max(1, settings.prefetch),
      deliver,
      unsettled: 0,
      pass: 0,
      batch: 0,
      taken: 0,
    };
    this.#dispatcher.add(consumer);
    return () => this.#dispatcher.remove(consumer);
  }

  /** Drops every message and timer and stops being tracked (DeleteQueue). */
  dispose(): void {
    this.#entries = [];
    for (const timer of this.#timers) clearTimeout(timer);
    this.#timers.clear();
    this.#tracker.remove(this);
  }

  #after(ms: number, then: () => void): () => void {
    const timer = setTimeout(() => {
      this.#timers.delete(timer);
      then();
      this.#tracker.changed();
    }, ms);
    this.#timers.add(timer);
    return () => {
      clearTimeout(timer);
      this.#timers.delete(timer);
    };
  }

  /**
   * Dispatches again once the clock reaches `time`. A timer may fire a millisecond before `Date.now()` says
   * its delay has passed (Node's timers do), so one that fires early is set again for the rest.
   */
  #wakeAt(time: number): void {
    const wait = time - Date.now();
    if (wait > 0) this.#after(wait, () => this.#wakeAt(time));
    else this.#dispatcher.schedule();
  }

  /**
   * The first message `consumer` may receive now, in order. In a FIFO queue a group whose messages are in
   * flight waits, except for the receive that took them: like SQS's ReceiveMessage, one receive returns up
   * to 10 messages and may return several of one group, in order, all in flight together.
   */
  #available(now: number, consumer?: Consumer): Entry | undefined {
    const blocked = this.config.fifo ? new Set<string | undefined>() : undefined;
    const open = consumer && consumer.pass === this.#pass && consumer.taken < RECEIVE_MAX
      ? consumer.batch
      : -1;
    // SQS "first attempts to return as many messages with the same message group ID as possible": a receive
    // that holds a group takes that group's next message before any other group's.
    const held = new Set<string | undefined>();
    let first: Entry | undefined;
    for (const entry of this.#entries) {
      const group = entry.send.MessageGroupId;
      if (blocked?.has(group)) continue;
      if (entry.receipt !== 0 || entry.visibleAt > now) {
        if (entry.receipt !== 0 && entry.batch === open) held.add(group);
        else blocked?.add(group);
        continue;
      }
      if (!blocked || held.has(group)) return entry;
      first ??= entry;
    }
    return first;
  }

  #remove(entry: Entry): void {
    const i = this.#entries.indexOf(entry);
    if (i !== -1) this.#entries.splice(i, 1);
  }

  /** At the start of each dispatch pass: reads the clock, drops messages past the retention period. */
  #expire(): void {
    this.#pass++;
    const now = Date.now();
    this.#now = now;
    const retention = this.config.retentionPeriod * 1000;
    this.#entries = this.#entries.filter((e) => e.receipt !== 0 || now - e.sentAt < retention);
  }

  /** A receive of `entry` by `consumer`; past the redrive policy's count it moves to the dead-letter queue. */
  #hand(entry: Entry, consumer: Consumer): void {
    const redrive = this.config.deadLetter;
    if (redrive && entry.receiveCount >= redrive.maxReceiveCount) {
      this.#remove(entry);
      redrive.queue().send({ ...entry.send, MessageDeduplicationId: entry.id, DelaySeconds: 0 });
      return;
    }
    this.#receive(consumer, entry);
  }

  #receive(consumer: Consumer, entry: Entry): void {
    if (consumer.pass !== this.#pass || consumer.taken >= RECEIVE_MAX) {
      consumer.pass = this.#pass;
      consumer.batch = ++batches;
      consumer.taken = 0;
    }
    consumer.taken++;
    entry.batch = consumer.batch;
    entry.receiveCount++;
    const receipt = ++receipts;
    entry.receipt = receipt;
    this.#dispatcher.delivered(consumer);
    this.#inFlight++;
    let holding = true;
    const visibility = (consumer.visibilityTimeout ?? this.config.visibilityTimeout) * 1000;
    const current = (): boolean => entry.receipt === receipt;
    const release = (): void => {
      if (!holding) return;
      holding = false;
      this.#dispatcher.settled(consumer);
      this.#dispatcher.schedule();
    };
    /** The message leaves flight: deleted, or visible again at `visibleAt`. */
    let cancelExpiry: (() => void) | undefined;
    const land = (visibleAt: number | undefined): void => {
      cancelExpiry?.();
      this.#inFlight--;
      entry.receipt = 0;
      entry.batch = 0;
      if (visibleAt === undefined) this.#remove(entry);
      else {
        entry.visibleAt = visibleAt;
        this.#wakeAt(visibleAt);
      }
      this.#dispatcher.schedule();
    };
    // Without a heartbeat the visibility timeout runs from the receive; with one it is extended for as long
    // as the handler works, so it starts only if the handler finished without settling.
    const expire = (): void => {
      cancelExpiry = this.#after(visibility, () => current() && land(Date.now()));
    };
    if (!consumer.heartbeat) expire();
    const raw = {
      MessageId: entry.id,
      ReceiptHandle: `emulated-${receipt}`,
      Body: entry.send.MessageBody,
      MessageAttributes: entry.send.MessageAttributes,
      Attributes: {
        ApproximateReceiveCount: String(entry.receiveCount),
        ...(entry.send.MessageGroupId ? { MessageGroupId: entry.send.MessageGroupId } : {}),
      },
    };
    const decoded = fromSqs(raw);
    const incoming: IncomingMessage = {
      channel: this.name,
      ...decoded,
      redelivered: entry.receiveCount > 1,
      raw,
      ack: () => {
        release();
        if (current()) land(undefined);
        return Promise.resolve();
      },
      nack: (options) => {
        release();
        if (current()) land(Date.now() + nackSeconds(options?.delay) * 1000);
        return Promise.resolve();
      },
      reject: () => {
        release();
        if (current()) {
          land(undefined);
          const redrive = this.config.deadLetter;
          if (redrive) {
            redrive.queue().send({
              ...entry.send,
              DelaySeconds: undefined,
              MessageDeduplicationId: entry.id,
            });
          }
        }
        return Promise.resolve();
      },
    };
    consumer.deliver(incoming).then(
      () => {
        if (current() && holding && consumer.heartbeat) expire();
        release();
      },
      () => incoming.nack(),
    );
  }
}
