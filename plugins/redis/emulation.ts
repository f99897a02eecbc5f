/**
 * The in-memory emulation of Redis, for `testBroker()`: Pub/Sub channels and patterns (fan-out to every
 * subscriber, nothing kept for absent ones), lists as persistent queues with competing consumers and
 * redelivery, and streams with consumer groups, pending entries, acknowledgement and claiming. Messages go
 * through the same envelope encoding as on the wire, and the same options are validated.
 *
 * @module
 */

import {
  type Emulation,
  type Logger,
  type OutgoingMessage,
  silentLogger,
  StateError,
  type SubscriptionHandle,
} from "@sluice/core";
import {
  Activity,
  MemoryQueue,
  PendingBound,
  type PendingLimits,
  type StoredMessage,
} from "@sluice/core/kit";
import { EmulatedStream } from "./_emulated_stream.ts";
import { encodeMessage, readMessage } from "./message.ts";
import {
  deadLetterOptions,
  parseBrokerOptions,
  type RedisOptions,
  type RedisPublishOptions,
  type RedisSubscribeOptions,
  resolvePublish,
  resolveSubscription,
  slowConsumer,
} from "./options.ts";
import { redisRules } from "./rules.ts";

/** The emulation of a Redis server, with a look inside for tests. */
export interface RedisEmulation extends Emulation<RedisSubscribeOptions, RedisPublishOptions> {
  /** The messages waiting in a list. */
  listLength(key: string): number;
  /** The entries of a stream, and per group how many are pending. */
  streamInfo(key: string): { length: number; pending: Record<string, number> } | undefined;
}

/** A Pub/Sub subscription's queue, bounded as the driver bounds what waits (core/kit/pending.ts). */
interface Channel {
  readonly pattern: string;
  readonly queue: MemoryQueue;
  readonly bound: PendingBound;
  readonly prefetch: number;
  readonly pending: PendingLimits;
}

/** Creates a fresh emulation of a Redis broker with these options. */
export function redisEmulation(options: RedisOptions = {}): RedisEmulation {
  parseBrokerOptions(options);
  const kind = options.kind ?? "pubsub";
  const envelope = options.envelope ?? "binary";
  const activity = new Activity();
  const channels = new Map<number, Channel>();
  const lists = new Map<string, MemoryQueue>();
  const streams = new Map<string, EmulatedStream>();
  let connected = false;
  let ids = 0;
  let logger: Logger = silentLogger;

  const list = (key: string): MemoryQueue => {
    let queue = lists.get(key);
    if (!queue) lists.set(key, queue = new MemoryQueue(`list:${key}`, { activity }));
    return queue;
  };
  const stream = (key: string): EmulatedStream => {
    let found = streams.get(key);
    if (!found) streams.set(key, found = new EmulatedStream(key, activity));
    return found;
  };
  const assertConnected = (): void => {
    if (!connected) throw new StateError("The Redis emulation is not connected");
  };

  /** What a message looks like after a round trip through the wire format. */
  const stored = (channel: string, message: OutgoingMessage): StoredMessage => {
    const fields = readMessage(encodeMessage(message, envelope));
    return { ...fields, channel };
  };

  const publishOne = (channel: string, message: OutgoingMessage, publish: RedisPublishOptions): void => {
    const to = resolvePublish(channel, publish, kind);
    if (to.kind === "list") return list(to.key).push(stored(to.key, message));
    if (to.kind === "stream") {
      stream(to.key).add(stored(to.key, message), to.maxLen);
      return;
    }
    const copy = stored(channel, message);
    for (const binding of channels.values()) {
      if (redisRules.matches(binding.pattern, channel)) {
        binding.bound.offer(copy, binding.prefetch, binding.pending);
      }
    }
  };

  const emulation: RedisEmulation = {
    name: "redis",
    url: "memory://redis",
    rules: redisRules,
    matches: (pattern, channel) => redisRules.matches(pattern, channel),
    connect(context) {
      logger = context.logger;
      connected = true;
      return Promise.resolve();
    },
    close() {
      connected = false;
      for (const binding of channels.values()) binding.queue.dispose();
      channels.clear();
      return Promise.resolve();
    },
    subscribe(spec, deliver, events): Promise<SubscriptionHandle> {
      assertConnected();
      const resolved = resolveSubscription(spec.channel, spec.options, kind, spec.reply === true);
      if (resolved.kind === "pubsub") {
        const id = ++ids;
        const queue = new MemoryQueue(`channel:${spec.channel}#${id}`, { activity });
        const bound = new PendingBound(queue, slowConsumer(spec.channel, logger, events));
        channels.set(id, {
          pattern: spec.channel,
          queue,
          bound,
          prefetch: spec.prefetch,
          pending: resolved.pending,
        });
        const cancel = queue.consume(spec.prefetch, bound.delivering(deliver));
        return Promise.resolve({
          stop() {
            cancel();
            channels.delete(id);
            queue.dispose();
            return Promise.resolve();
          },
        });
      }
      if (resolved.kind === "list") {
        const reliable = resolved.options.reliable ?? true;
        const cancel = list(resolved.key).consume(
          spec.prefetch,
          reliable ? deliver : (incoming) =>
            // Popped, not moved: settling does nothing, a failure loses the message.
            deliver({ ...incoming, nack: () => incoming.ack(), reject: () => incoming.ack() }),
        );
        return Promise.resolve({ stop: () => Promise.resolve(cancel()) });
      }
      const o = resolved.options;
      const named = spec.group ?? o.group;
      const groupName = named ?? `sluice-private-${crypto.randomUUID()}`;
      const target = stream(resolved.key);
      try {
        const group = target.group(groupName, o.createGroup ?? true, o.startId ?? "$");
        const leave = group.join({
          name: o.consumer ?? `sluice-${crypto.randomUUID()}`,
          prefetch: spec.prefetch,
          claimIdle: o.claimIdle ?? 30_000,
          claimInterval: o.claimInterval,
        }, deliver);
        return Promise.resolve({
          stop() {
            leave();
            if (named === undefined) target.destroy(groupName);
            return Promise.resolve();
          },
        });
      } catch (error) {
        return Promise.reject(error);
      }
    },
    deadLetterOptions: (options) => deadLetterOptions(options, kind),

    publish(channel, message, publish) {
      assertConnected();
      publishOne(channel, message, publish);
      return Promise.resolve();
    },
    publishBatch(channel, messages, publish) {
      assertConnected();
      for (const message of messages) publishOne(channel, message, publish);
      return Promise.resolve();
    },
    ping() {
      assertConnected();
      return Promise.resolve();
    },
    idle: () => activity.whenIdle(),
    listLength: (key) => lists.get(key)?.size ?? 0,
    streamInfo(key) {
      const found = streams.get(key);
      if (!found) return undefined;
      const pending: Record<string, number> = {};
      for (const [name, group] of found.groups) pending[name] = group.pending.size;
      return { length: found.length, pending };
    },
  };
  return emulation;
}
