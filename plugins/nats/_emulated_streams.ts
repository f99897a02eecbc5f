/**
 * JetStream in memory: streams that store what their subjects capture, de-duplication by message id within
 * the window, and consumers (shared by a group or one per subscriber) with ack wait, nak delay, term and
 * max deliver, built on the core's MemoryQueue.
 *
 * @module
 */

import { EmulationLimitError, OptionError } from "@sluice/core";
import type { Deliver, IncomingMessage, SubscriptionHandle, SubscriptionSpec } from "@sluice/core";
import { type Activity, MemoryQueue, type StoredMessage } from "@sluice/core/kit";
import { nameFromSubject } from "./_connection.ts";
import type { ConsumerOptions, NatsSubscribeOptions, StreamOptions } from "./options.ts";
import { natsRules } from "./rules.ts";

interface Stored {
  readonly sequence: number;
  readonly message: StoredMessage;
}

interface EmulatedConsumer {
  readonly name: string;
  readonly filter: string;
  readonly queue: MemoryQueue;
  readonly options: ConsumerOptions;
}

interface EmulatedStream {
  options: StreamOptions;
  subjects: readonly string[];
  readonly messages: Stored[];
  readonly ids: Map<string, number>;
  readonly consumers: Map<string, EmulatedConsumer>;
  sequence: number;
}

/** The raw message an emulated JetStream delivery carries, with `working()` as on a JsMsg. */
export interface EmulatedJsMsg {
  readonly subject: string;
  readonly info: { readonly stream: string; readonly consumer: string; readonly deliveryCount: number };
  working(): void;
}

/** Streams and consumers of one emulation. */
export class EmulatedJetStream {
  readonly #streams = new Map<string, EmulatedStream>();
  readonly #activity: Activity;

  /** Creates an empty JetStream tracked by `activity`. */
  constructor(activity: Activity) {
    this.#activity = activity;
  }

  /** Creates or updates a stream. */
  declare(options: StreamOptions, fallbackSubject?: string): string {
    refuseUnemulated(options);
    const subjects = options.subjects ?? (fallbackSubject ? [fallbackSubject] : []);
    if (subjects.length === 0) {
      throw new OptionError(`Stream ${options.name} needs subjects: give stream: { name, subjects: [...] }`);
    }
    for (const [name, other] of this.#streams) {
      if (name === options.name) continue;
      for (const subject of subjects) {
        if (other.subjects.some((s) => natsRules.matches(s, subject) || natsRules.matches(subject, s))) {
          throw new OptionError(
            `Cannot declare stream ${options.name}: subjects overlap with an existing stream (${name})`,
          );
        }
      }
    }
    const existing = this.#streams.get(options.name);
    if (existing) {
      existing.options = options;
      existing.subjects = subjects;
    } else {
      this.#streams.set(options.name, {
        options,
        subjects,
        messages: [],
        ids: new Map(),
        consumers: new Map(),
        sequence: 0,
      });
    }
    return options.name;
  }

  /** Whether a stream captures `subject`. */
  captures(subject: string): boolean {
    for (const stream of this.#streams.values()) {
      if (stream.subjects.some((s) => natsRules.matches(s, subject))) return true;
    }
    return false;
  }

  /** Stores a published message in every stream capturing its subject; false when it was a duplicate. */
  append(message: StoredMessage, msgId: string | undefined): boolean {
    const now = Date.now();
    for (const [, stream] of this.#streams) {
      if (!stream.subjects.some((s) => natsRules.matches(s, message.channel))) continue;
      const window = stream.options.duplicateWindow ?? 120_000;
      if (msgId !== undefined) {
        const seen = stream.ids.get(msgId);
        if (seen !== undefined && now - seen < window) return false;
        stream.ids.set(msgId, now);
      }
      const stored = { sequence: ++stream.sequence, message };
      stream.messages.push(stored);
      const max = stream.options.maxMsgs ?? -1;
      if (max >= 0 && stream.messages.length > max) stream.messages.splice(0, stream.messages.length - max);
      for (const consumer of stream.consumers.values()) {
        if (natsRules.matches(consumer.filter, message.channel)) consumer.queue.push(message);
      }
    }
    return true;
  }

  /** The stream a subscriber uses, as the real driver resolves it. */
  resolve(spec: SubscriptionSpec<NatsSubscribeOptions>): string {
    const option = spec.options.stream;
    if (typeof option === "object") return this.declare(option, spec.channel);
    if (typeof option === "string") {
      if (!this.#streams.has(option)) {
        throw new OptionError(
          `Stream ${option} of subscriber ${spec.template} cannot be used (stream not found): ` +
            `declare it with stream: { name: "${option}", subjects: [...] }`,
        );
      }
      return option;
    }
    for (const [name, stream] of this.#streams) {
      if (stream.subjects.some((s) => natsRules.matches(s, spec.channel))) return name;
    }
    return this.declare({ name: nameFromSubject(spec.channel) }, spec.channel);
  }

  /** Consumes from a stream like the real driver's JetStream subscription. */
  subscribe(spec: SubscriptionSpec<NatsSubscribeOptions>, deliver: Deliver): SubscriptionHandle {
    const options = spec.options.consumer ?? {};
    const streamName = this.resolve(spec);
    const stream = this.#streams.get(streamName)!;
    const durable = options.durable ?? (spec.group ? spec.group.replace(/[.*>\s/\\]/g, "_") : undefined);
    const name = durable ?? `sluice_${crypto.randomUUID().replaceAll("-", "")}`;
    let consumer = stream.consumers.get(name);
    if (!consumer) {
      const max = options.maxDeliver ?? -1;
      consumer = {
        name,
        filter: spec.channel,
        options,
        queue: new MemoryQueue(`${streamName}/${name}`, {
          activity: this.#activity,
          maxDeliveries: max > 0 ? max : undefined,
        }),
      };
      stream.consumers.set(name, consumer);
      for (const stored of replay(stream.messages, spec.channel, options.deliverPolicy ?? "all")) {
        consumer.queue.push(stored.message);
      }
    }
    const { queue } = consumer;
    const cancel = queue.consume(
      spec.prefetch,
      (incoming) => deliver(withAckWait(incoming, streamName, name, options)),
    );
    return {
      stop: () => {
        cancel();
        if (durable === undefined && queue.consumers === 0) {
          stream.consumers.delete(name);
          queue.dispose();
        }
        return Promise.resolve();
      },
    };
  }

  /** Drops every stream. */
  clear(): void {
    for (const stream of this.#streams.values()) {
      for (const consumer of stream.consumers.values()) consumer.queue.dispose();
    }
    this.#streams.clear();
  }
}

function replay(messages: readonly Stored[], filter: string, policy: string): Stored[] {
  const matching = messages.filter((m) => natsRules.matches(filter, m.message.channel));
  if (policy === "new") return [];
  if (policy === "last") return matching.slice(-1);
  if (policy === "last_per_subject") {
    const last = new Map<string, Stored>();
    for (const m of matching) last.set(m.message.channel, m);
    return [...last.values()].sort((a, b) => a.sequence - b.sequence);
  }
  return matching;
}

/** Redelivers a message the handler did not settle within the ack wait, as the server does. */
function withAckWait(
  incoming: IncomingMessage,
  stream: string,
  consumer: string,
  options: ConsumerOptions,
): IncomingMessage {
  const count = incoming.deliveryCount ?? 1;
  const backoff = options.backoff;
  const wait = backoff && backoff.length > 0
    ? backoff[Math.min(count - 1, backoff.length - 1)]!
    : options.ackWait ?? 30_000;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const arm = (): void => {
    clearTimeout(timer);
    timer = setTimeout(() => void incoming.nack(), wait);
  };
  const settle = (action: () => Promise<void>): Promise<void> => {
    clearTimeout(timer);
    return action();
  };
  arm();
  const raw: EmulatedJsMsg = {
    subject: incoming.channel,
    info: { stream, consumer, deliveryCount: count },
    working: arm,
  };
  // The queue's delivery exposes its fields as getters: copy them, do not spread.
  return {
    channel: incoming.channel,
    body: incoming.body,
    headers: incoming.headers,
    contentType: incoming.contentType,
    correlationId: incoming.correlationId,
    messageId: incoming.messageId,
    replyTo: incoming.replyTo,
    redelivered: incoming.redelivered,
    deliveryCount: incoming.deliveryCount,
    key: incoming.key,
    raw,
    ack: () => settle(() => incoming.ack()),
    nack: (o) => settle(() => incoming.nack(o)),
    reject: () => settle(() => incoming.reject()),
  };
}

/** Refuses stream limits the emulation would accept and silently not enforce. */
function refuseUnemulated(options: StreamOptions): void {
  const refuse = (option: string, why: string): never => {
    throw new EmulationLimitError("nats", `the stream option ${option} of stream ${options.name}`, why);
  };
  if (options.retention !== undefined && options.retention !== "limits") {
    refuse(`retention: "${options.retention}"`, "only the limits retention is emulated");
  }
  if (options.maxBytes !== undefined && options.maxBytes !== -1) {
    refuse("maxBytes", "sizes are not counted in memory");
  }
  if (options.maxAge !== undefined && options.maxAge !== 0) refuse("maxAge", "nothing ages out in memory");
  if (options.discard === "new") {
    refuse(`discard: "new"`, "a full stream discards its oldest message in memory");
  }
}
