/**
 * The NATS emulation behind `testBroker(broker)`: core subjects with `*` and `>` and queue groups (at most
 * once: a nack drops the message, as on core NATS), JetStream streams and consumers (redelivery after nak
 * or ack wait, max deliver, de-duplication by message id), key-value buckets with watches, and native
 * request/reply with "no responders". Same options, same validation, same behaviour as the real driver.
 *
 * @module
 */

import { ConnectionError, OptionError, silentLogger, StateError, TimeoutError } from "@sluice/core";
import type {
  Emulation,
  IncomingMessage,
  Logger,
  OutgoingMessage,
  SubscriptionEvents,
  SubscriptionHandle,
} from "@sluice/core";
import {
  Activity,
  AwaitedReplies,
  MemoryQueue,
  parseOptions,
  PendingBound,
  type PendingLimits,
  pendingLimits,
  type StoredMessage,
} from "@sluice/core/kit";
import { EmulatedJetStream } from "./_emulated_streams.ts";
import { EmulatedBuckets } from "./_emulated_kv.ts";
import { EmulatedObjectStores } from "./_emulated_objects.ts";
import type { ObjectStore } from "./_objects.ts";
import { NoRespondersError } from "./_errors.ts";
import type { KeyValue } from "./_kv.ts";
import {
  brokerOptions,
  checkPublishOptions,
  type NatsOptions,
  type NatsPublishOptions,
  type NatsSubscribeOptions,
  slowConsumer,
  subscribeOptions,
  usesJetStream,
} from "./options.ts";
import { assertPublishSubject, assertSubscribeSubject, natsRules } from "./rules.ts";

/** The emulation of a NATS server: the driver's contract, key-value buckets, and `idle()` for the test broker. */
export interface NatsEmulation extends Emulation<NatsSubscribeOptions, NatsPublishOptions> {
  /** A key-value bucket of the emulation, created when it does not exist. */
  kv(bucket: string): Promise<KeyValue>;
  /** An object store bucket of the emulation, created when it does not exist. */
  objects(bucket: string): Promise<ObjectStore>;
}

interface Binding {
  readonly pattern: string;
  /** The queue group; members of one group on different subjects still share each message. */
  readonly group?: string;
  readonly queue: MemoryQueue;
  /** What may wait beyond the prefetch, as the driver bounds it (core/kit/pending.ts). */
  readonly bound: PendingBound;
  /**
   * The subscribers consuming the queue, each with its prefetch and bounds: the members of a queue group in
   * this process share one queue, where each has its own subscription on the server, so theirs add up.
   */
  readonly members: Set<Member>;
}

/** A subscriber of a binding. */
interface Member {
  readonly prefetch: number;
  readonly pending: PendingLimits;
  readonly events: SubscriptionEvents | undefined;
}

/** Queues `message` for `binding`, or drops it where the driver would. */
function offer(binding: Binding, message: StoredMessage): void {
  let prefetch = 0;
  let messages = 0;
  let bytes = 0;
  for (const member of binding.members) {
    prefetch += member.prefetch;
    messages += member.pending.messages;
    bytes += member.pending.bytes;
  }
  binding.bound.offer(message, prefetch, { messages, bytes });
}

const INBOX = "_INBOX.emulated.";
/** nats-server's default `max_payload`. */
const MAX_PAYLOAD = 1024 * 1024;

/**
 * Creates a fresh emulation of a NATS server with these broker options; `testBroker()` uses one in place of
 * the driver.
 *
 * @example
 * ```ts
 * import { natsEmulation } from "@sluice/nats";
 * const emulation = natsEmulation({ jetstream: true });
 * emulation.matches("orders.>", "orders.eu.created"); // true
 * ```
 */
export function natsEmulation(options: NatsOptions = {}): NatsEmulation {
  parseOptions(brokerOptions, options);
  const activity = new Activity();
  const jetstream = new EmulatedJetStream(activity);
  const buckets = new EmulatedBuckets(activity);
  const objectStores = new EmulatedObjectStores(activity);
  const bindings = new Map<string, Binding>();
  /** Requests waiting for their reply, by their inbox subject. */
  const pending = new AwaitedReplies<IncomingMessage>();
  const brokerJetStream = options.jetstream ?? false;
  let logger: Logger | undefined;
  let connected = false;
  let ids = 0;

  const live = (): void => {
    if (!connected) {
      throw new ConnectionError("Not connected to the NATS emulation: connect the broker first");
    }
  };

  const stored = (channel: string, message: OutgoingMessage): StoredMessage => ({
    channel,
    body: message.body,
    headers: message.headers,
    contentType: message.contentType,
    correlationId: message.correlationId,
    messageId: message.messageId,
    replyTo: message.replyTo,
  });

  const jetstreamWanted = (channel: string, publish: NatsPublishOptions): boolean =>
    publish.jetstream ?? (publish.msgId !== undefined || jetstream.captures(channel));

  /** Routes like the server: streams capture, then core subscriptions get a copy. */
  const route = (channel: string, message: OutgoingMessage, publish: NatsPublishOptions): void => {
    if (message.body.length > MAX_PAYLOAD) {
      throw new OptionError(
        `The message to ${channel} exceeds the server's max payload of ${MAX_PAYLOAD} bytes`,
      );
    }
    if (pending.has(channel)) {
      const done = (): Promise<void> => Promise.resolve();
      pending.resolve(channel, {
        ...stored(channel, message),
        replyTo: undefined,
        ack: done,
        nack: done,
        reject: done,
      });
      return;
    }
    if (jetstreamWanted(channel, publish) && !jetstream.captures(channel)) {
      throw new NoRespondersError(`No stream captures ${channel}: declare one (subscriber option stream)`);
    }
    const copy = stored(channel, message);
    if (!jetstream.append(copy, publish.msgId)) return;
    // As the server does: every plain subscription gets a copy; each queue group, whatever the subjects of
    // its members, gets one, for a member picked at random (weighted by its consumers).
    const groups = new Map<string, Binding[]>();
    for (const binding of bindings.values()) {
      if (!natsRules.matches(binding.pattern, channel)) continue;
      if (binding.group === undefined) offer(binding, copy);
      else groups.set(binding.group, [...groups.get(binding.group) ?? [], binding]);
    }
    for (const members of groups.values()) offer(pickMember(members), copy);
  };

  const hasResponder = (channel: string): boolean => {
    if (jetstream.captures(channel)) return true;
    for (const binding of bindings.values()) if (natsRules.matches(binding.pattern, channel)) return true;
    return false;
  };

  const driver: NatsEmulation = {
    name: "nats",
    url: "nats://emulated",
    rules: natsRules,
    matches: natsRules.matches,

    connect(context) {
      logger = context.logger;
      for (const stream of options.streams ?? []) jetstream.declare(stream);
      connected = true;
      return Promise.resolve();
    },

    close() {
      connected = false;
      // Core subscriptions belong to the connection; streams, their consumers and key-value buckets stay on
      // the server, for the next session on the same broker object.
      for (const binding of bindings.values()) binding.queue.dispose();
      bindings.clear();
      pending.close(new StateError("The connection closed before the reply came"));
      return Promise.resolve();
    },

    subscribe(spec, deliver, events): Promise<SubscriptionHandle> {
      try {
        parseOptions(subscribeOptions, spec.options, spec.template);
        live();
        if (spec.options.kv !== undefined) return Promise.resolve(buckets.watch(spec, deliver));
        if (spec.options.objects !== undefined) return Promise.resolve(objectStores.watch(spec, deliver));
        assertSubscribeSubject(spec.channel);
        if (usesJetStream(spec, brokerJetStream)) return Promise.resolve(jetstream.subscribe(spec, deliver));
      } catch (error) {
        return Promise.reject(error);
      }
      const key = spec.group === undefined ? `#${++ids}` : `${spec.group}\u0000${spec.channel}`;
      let binding = bindings.get(key);
      if (!binding) {
        let warned = false;
        // Core NATS has no redelivery: a nacked message is gone (maxDeliveries 1), as on the server.
        const queue = new MemoryQueue(key, {
          activity,
          maxDeliveries: 1,
          deadLetter: (_message, reason) => {
            if (reason !== "expired" || warned) return;
            warned = true;
            logger?.warn(
              `Core NATS cannot redeliver: a nacked message of ${spec.channel} is dropped. ` +
                `Consume with JetStream (subscriber option stream) for redelivery`,
            );
          },
        });
        const members = new Set<Member>();
        // The queue drops for the group as a whole, and tells the member it would have gone to: the first.
        const dropped: SubscriptionEvents = {
          dropped: (channel) => members.values().next().value?.events?.dropped(channel),
        };
        const slow = slowConsumer(spec.channel, logger ?? silentLogger, dropped);
        const bound = new PendingBound(queue, slow);
        binding = { pattern: spec.channel, group: spec.group, queue, bound, members };
        bindings.set(key, binding);
      }
      const { queue, bound, members } = binding;
      const member: Member = { prefetch: spec.prefetch, pending: pendingLimits(spec.options), events };
      members.add(member);
      const cancel = queue.consume(spec.prefetch, bound.delivering(deliver));
      return Promise.resolve({
        stop() {
          cancel();
          members.delete(member);
          if (queue.consumers === 0) {
            bindings.delete(key);
            queue.dispose();
          }
          return Promise.resolve();
        },
      });
    },

    publish(channel, message, publish) {
      try {
        checkPublishOptions(publish, channel);
        assertPublishSubject(channel);
        live();
        route(channel, message, publish);
        return Promise.resolve();
      } catch (error) {
        return Promise.reject(error);
      }
    },

    async publishBatch(channel, messages, publish) {
      for (const message of messages) await driver.publish(channel, message, publish);
    },

    request(channel, message, request) {
      const { timeout, signal, ...publish } = request;
      try {
        checkPublishOptions(publish, channel);
        assertPublishSubject(channel);
        live();
      } catch (error) {
        return Promise.reject(error);
      }
      if (!hasResponder(channel)) {
        return Promise.reject(
          new NoRespondersError(`No responder listens on ${channel}: start a subscriber for it`),
        );
      }
      const replyTo = `${INBOX}${++ids}`;
      const reply = pending.wait(
        replyTo,
        timeout,
        signal,
        () => new TimeoutError(`No reply from ${channel} within ${timeout} ms`),
      );
      try {
        route(channel, { ...message, replyTo }, publish);
      } catch (error) {
        pending.reject(replyTo, error as Error);
      }
      return reply;
    },

    ping() {
      try {
        live();
        return Promise.resolve();
      } catch (error) {
        return Promise.reject(error);
      }
    },

    kv(bucket) {
      if (!/^[-\w]+$/.test(bucket)) {
        return Promise.reject(
          new OptionError(`Invalid bucket name "${bucket}": use letters, digits, '-' and '_'`),
        );
      }
      return Promise.resolve(buckets.bucket(bucket));
    },

    objects(bucket) {
      if (!/^[-\w]+$/.test(bucket)) {
        return Promise.reject(
          new OptionError(`Invalid bucket name "${bucket}": use letters, digits, '-' and '_'`),
        );
      }
      return Promise.resolve(objectStores.store(bucket));
    },

    idle: () => activity.whenIdle(),
  };
  return driver;
}

/** One member of a queue group, at random, weighted by how many consumers each has. */
function pickMember(members: readonly Binding[]): Binding {
  if (members.length === 1) return members[0]!;
  const total = members.reduce((sum, member) => sum + Math.max(1, member.queue.consumers), 0);
  let draw = Math.random() * total;
  for (const member of members) {
    draw -= Math.max(1, member.queue.consumers);
    if (draw < 0) return member;
  }
  return members[members.length - 1]!;
}
