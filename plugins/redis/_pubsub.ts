/**
 * Pub/Sub consumption on one shared subscriber connection: `SUBSCRIBE` for plain channels, `PSUBSCRIBE`
 * for patterns (filtered client side so a `*` stays within one level). Pub/Sub has no acknowledgement:
 * `ack()` and `reject()` do nothing, and `nack()` hands the message to the handler again, in this process,
 * after its delay — a best effort the broker knows nothing of.
 *
 * The connection is Sluice's own to a single server (`_subscriber.ts`), or an ioredis client through
 * Sentinel or a Cluster (`clientConnection`).
 *
 * @module
 */

import {
  type Deliver,
  type IncomingMessage,
  type Logger,
  SETTLED,
  type SubscriptionEvents,
  type SubscriptionHandle,
} from "@sluice/core";
import { DEFAULT_PENDING, describeError, type PendingLimits, PendingQueue } from "@sluice/core/kit";
import { bytes, type Client, events, isCluster, shut } from "./_client.ts";
import { type Fields, readMessage, RedisIncoming } from "./message.ts";
import { slowConsumer } from "./options.ts";
import { isPattern, redisRules } from "./rules.ts";

type Listener = (channel: string, body: Uint8Array) => void;

/** Who a Pub/Sub connection hands its messages to. */
export interface Receiver {
  /** A message of a channel subscribed to by name. */
  message(channel: Uint8Array, body: Uint8Array): void;
  /** A message of a channel matching a subscribed pattern. */
  pmessage(pattern: string | Uint8Array, channel: Uint8Array, body: Uint8Array): void;
  /** The connection is back after a loss: subscribe again to what it was subscribed to. */
  renew(): void;
}

/** What Pub/Sub consumption needs of its connection. */
export interface PubSubConnection {
  /** Whether the connection is up; (un)subscribing while it is down waits for it. */
  readonly ready: boolean;
  listen(receiver: Receiver): void;
  /** Resolves once Redis confirmed each name. */
  subscribe(names: readonly string[], pattern: boolean): Promise<void>;
  unsubscribe(names: readonly string[], pattern: boolean): Promise<void>;
  close(): Promise<void>;
}

/** An ioredis client as the Pub/Sub connection: for Sentinel and Cluster, and a broker given ioredis options. */
export function clientConnection(client: Client): PubSubConnection {
  return {
    get ready() {
      return client.status === "ready";
    },
    listen(receiver) {
      events(client).on("messageBuffer", (channel, body) => receiver.message(channel, body));
      events(client).on(
        "pmessageBuffer",
        (pattern, channel, body) => receiver.pmessage(pattern, channel, body),
      );
      // After a reconnect, the subscriptions are renewed by the receiver rather than by ioredis: its own
      // re-subscription leaves the SUBSCRIBE's promise without a handler, so a close racing it (an app
      // stopping just as Redis came back) ended in an unhandled rejection, "Connection is closed." — the end
      // of a Node process. The connection was opened before this, so each "ready" is a reconnect. A cluster
      // client renews its own.
      if (!isCluster(client)) events(client).on("ready", () => receiver.renew());
    },
    async subscribe(names, pattern) {
      if (pattern) await client.psubscribe(...names);
      else await client.subscribe(...names);
    },
    async unsubscribe(names, pattern) {
      if (pattern) await client.punsubscribe(...names);
      else await client.unsubscribe(...names);
    },
    close: () => shut(client),
  };
}

/** The native message of a Pub/Sub delivery: the channel, the subscribed pattern if any, the bytes. */
interface NativeMessage {
  readonly channel: string;
  readonly pattern: string | undefined;
  readonly data: Uint8Array;
}

/** How a subscription hands a message returned with `nack()` over again, after `delay` ms. */
interface Redelivery {
  again(incoming: PubSubIncoming, delay: number): void;
}

/**
 * A Pub/Sub message. A class, not an object of closures, since one is made per message; the native message
 * (channel, pattern, bytes) is built when asked for, and so is the plain `Uint8Array` view of the client's
 * `Buffer` it holds.
 */
class PubSubIncoming extends RedisIncoming {
  readonly #data: Uint8Array;
  readonly #pattern: string | undefined;
  readonly #fields: Fields;
  readonly #redelivery: Redelivery;
  #raw: NativeMessage | undefined;

  constructor(
    channel: string,
    data: Uint8Array,
    pattern: string | undefined,
    fields: Fields,
    deliveryCount: number,
    redelivery: Redelivery,
  ) {
    super(channel, fields, deliveryCount);
    this.#data = data;
    this.#pattern = pattern;
    this.#fields = fields;
    this.#redelivery = redelivery;
  }

  get raw(): NativeMessage {
    return this.#raw ??= { channel: this.channel, pattern: this.#pattern, data: bytes(this.#data) };
  }
  /** The same message, delivered once more. */
  again(): PubSubIncoming {
    return new PubSubIncoming(
      this.channel,
      this.#data,
      this.#pattern,
      this.#fields,
      this.deliveryCount + 1,
      this.#redelivery,
    );
  }
  ack(): Promise<void> {
    return SETTLED;
  }
  reject(): Promise<void> {
    return SETTLED;
  }
  nack(options?: { readonly delay?: number }): Promise<void> {
    this.#redelivery.again(this, options?.delay ?? 0);
    return SETTLED;
  }
}

/**
 * The names of incoming channels. Messages come in runs on one channel, and comparing a channel's bytes with
 * the last one's is cheaper than decoding them for each message (a native call per message, most of a tenth
 * of a microsecond). The bytes are copied on a change: the client's buffers are not ours to keep.
 */
class ChannelNames {
  readonly #decoder: TextDecoder;
  #bytes = new Uint8Array(0);
  #name = "";

  constructor(decoder: TextDecoder) {
    this.#decoder = decoder;
  }

  of(channel: Uint8Array): string {
    const last = this.#bytes;
    if (channel.length === last.length && channel.length > 0) {
      let i = 0;
      while (i < last.length && channel[i] === last[i]) i++;
      if (i === last.length) return this.#name;
    }
    this.#name = this.#decoder.decode(channel);
    // A copy: the connection hands a view of the socket's chunk.
    this.#bytes = new Uint8Array(channel);
    return this.#name;
  }
}

/** The shared Pub/Sub connection and its listeners. */
export class PubSub {
  readonly #connection: PubSubConnection;
  readonly #channels = new Map<string, Set<Listener>>();
  readonly #patterns = new Map<string, Set<Listener>>();
  readonly #logger: Logger;

  constructor(connection: PubSubConnection, logger: Logger) {
    this.#connection = connection;
    this.#logger = logger;
    const decoder = new TextDecoder();
    const names = new ChannelNames(decoder);
    const channels = this.#channels;
    const patterns = this.#patterns;
    connection.listen({
      message(channel, body) {
        const name = names.of(channel);
        for (const listener of channels.get(name) ?? []) listener(name, body);
      },
      pmessage(pattern, channel, body) {
        // ioredis hands the pattern over as a string already.
        const glob = typeof pattern === "string" ? pattern : decoder.decode(pattern);
        const name = decoder.decode(channel);
        // Redis's `*` crosses dots; Sluice's stays within a level.
        if (!redisRules.matches(glob, name)) return;
        for (const listener of patterns.get(glob) ?? []) listener(name, body);
      },
      renew: () => this.#renew(),
    });
  }

  /** Closes the connection. */
  close(): Promise<void> {
    return this.#connection.close();
  }

  /** Subscribes the connection again to every channel and pattern that has listeners. */
  #renew(): void {
    const failed = (error: unknown): void =>
      this.#logger.warn(
        `Could not renew the Redis Pub/Sub subscriptions after a reconnect: ${describeError(error)}`,
      );
    const channels = [...this.#channels.keys()];
    const patterns = [...this.#patterns.keys()];
    if (channels.length > 0) this.#connection.subscribe(channels, false).catch(failed);
    if (patterns.length > 0) this.#connection.subscribe(patterns, true).catch(failed);
  }

  /**
   * Subscribes `deliver` to a channel or pattern, with at most `prefetch` messages unsettled and at most
   * `pending` waiting beyond them, telling `events` of each message dropped past them; resolves once Redis
   * confirmed the subscription.
   */
  async subscribe(
    channel: string,
    deliver: Deliver,
    prefetch = Infinity,
    pending: PendingLimits = DEFAULT_PENDING,
    events?: SubscriptionEvents,
  ): Promise<SubscriptionHandle> {
    const pattern = isPattern(channel);
    const table = pattern ? this.#patterns : this.#channels;
    const logger = this.#logger;
    let stopped = false;
    const timers = new Set<ReturnType<typeof setTimeout>>();
    // Pub/Sub has no flow control: messages beyond `prefetch` wait here, in order, and the next one is
    // handed over in the reaction that settled the last. Handing every message over at once would park each
    // in the core's concurrency limiter behind a promise of its own (about 8% of the consumer's profile with
    // the default concurrency of 1, bench/redis/pubsub.ts). A message the core settled before `deliver`
    // returned (SETTLED) makes room at once, without a reaction: hence a loop.
    const limit = Math.max(1, Math.floor(prefetch));
    let open = 0;
    const waiting = new PendingQueue<PubSubIncoming>(
      pending,
      slowConsumer(channel, logger, events),
      (incoming) => incoming.body.length,
    );
    const source = pattern ? channel : undefined;
    const settled = (): void => {
      open--;
      while (open < limit && waiting.length > 0) start(waiting.shift());
    };
    const failed = (error: unknown): void => {
      logger.error(`Delivery failed on ${channel}`, { error: String(error) });
      settled();
    };
    const start = (incoming: IncomingMessage): void => {
      open++;
      const done = deliver(incoming);
      if (done === SETTLED) open--;
      else done.then(settled, failed);
    };
    const hand = (incoming: PubSubIncoming): void => {
      if (open < limit && waiting.length === 0) start(incoming);
      else waiting.push(incoming);
    };
    const listener: Listener = (name, body) => {
      try {
        if (open < limit && waiting.length === 0) {
          waiting.bypassed();
          return start(new PubSubIncoming(name, body, source, readMessage(body), 1, redelivery));
        }
        // Checked before decoding, with the envelope's bytes: a few bytes stricter than a bound on bodies.
        if (!waiting.admits(body.length, name)) return;
        // A message that waits gets bytes of its own: the connection's are a view of the socket's chunk (up
        // to 64 KiB), which it would keep alive whole — and while a subscriber drops, the one message of a
        // chunk let in as a slot frees would hold its chunk, making the byte bound a bound on chunks.
        const own = new Uint8Array(body);
        waiting.push(new PubSubIncoming(name, own, source, readMessage(own), 1, redelivery));
      } catch (error) {
        logger.error(`Pub/Sub message on ${name} could not be handed over: ${String(error)}`);
      }
    };
    const redelivery: Redelivery = {
      again(incoming, delay) {
        if (stopped) return;
        const timer = setTimeout(() => {
          timers.delete(timer);
          if (!stopped) hand(incoming.again());
        }, delay);
        timers.add(timer);
      },
    };
    let set = table.get(channel);
    if (!set) table.set(channel, set = new Set());
    set.add(listener);
    if (set.size === 1) await this.#connection.subscribe([channel], pattern);
    return {
      stop: async () => {
        if (stopped) return;
        stopped = true;
        for (const timer of timers) clearTimeout(timer);
        // What arrived before the stop is handed over now, so the core's graceful stop waits for it.
        for (const incoming of waiting.clear()) start(incoming);
        set.delete(listener);
        if (set.size > 0) return;
        table.delete(channel);
        if (!this.#connection.ready) return;
        await this.#connection.unsubscribe([channel], pattern).catch(() => undefined);
      },
    };
  }
}
