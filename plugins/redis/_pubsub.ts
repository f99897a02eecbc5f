/**
 * Pub/Sub consumption on one shared subscriber connection: `SUBSCRIBE` for plain channels, `PSUBSCRIBE`
 * for patterns (filtered client side so a `*` stays within one level). Pub/Sub has no acknowledgement:
 * `ack()` and `reject()` do nothing, and `nack()` hands the message to the handler again, in this process,
 * after its delay — a best effort the broker knows nothing of.
 *
 * @module
 */

import type { Deliver, IncomingMessage, Logger, SubscriptionHandle } from "@sluice/core";
import { bytes, type Client, events } from "./_client.ts";
import { readMessage } from "./message.ts";
import { isPattern, redisRules } from "./rules.ts";

type Listener = (channel: string, body: Uint8Array) => void;

/** The shared Pub/Sub connection and its listeners. */
export class PubSub {
  readonly #client: Client;
  readonly #channels = new Map<string, Set<Listener>>();
  readonly #patterns = new Map<string, Set<Listener>>();
  readonly #logger: Logger;

  constructor(client: Client, logger: Logger) {
    this.#client = client;
    this.#logger = logger;
    const decoder = new TextDecoder();
    events(client).on("messageBuffer", (channel: Uint8Array, message: Uint8Array) => {
      const name = decoder.decode(channel);
      for (const listener of this.#channels.get(name) ?? []) listener(name, bytes(message));
    });
    events(client).on(
      "pmessageBuffer",
      (pattern: string | Uint8Array, channel: Uint8Array, message: Uint8Array) => {
        // ioredis hands the pattern over as a string already.
        const glob = typeof pattern === "string" ? pattern : decoder.decode(pattern);
        const name = decoder.decode(channel);
        // Redis's `*` crosses dots; Sluice's stays within a level.
        if (!redisRules.matches(glob, name)) return;
        for (const listener of this.#patterns.get(glob) ?? []) listener(name, bytes(message));
      },
    );
  }

  /**
   * Subscribes `deliver` to a channel or pattern, with at most `prefetch` messages unsettled; resolves once
   * Redis confirmed the subscription.
   */
  async subscribe(channel: string, deliver: Deliver, prefetch = Infinity): Promise<SubscriptionHandle> {
    const pattern = isPattern(channel);
    const table = pattern ? this.#patterns : this.#channels;
    let stopped = false;
    const timers = new Set<ReturnType<typeof setTimeout>>();
    // Pub/Sub has no flow control: messages beyond `prefetch` wait here, in order, and the next one is
    // handed over in the reaction that settled the last. Handing every message over at once would park each
    // in the core's concurrency limiter behind a promise of its own (about 8% of the consumer's profile with
    // the default concurrency of 1, bench/redis/pubsub.ts).
    const limit = Math.max(1, Math.floor(prefetch));
    let open = 0;
    let waiting: (IncomingMessage | undefined)[] = [];
    let head = 0;
    const settled = (): void => {
      open--;
      if (head < waiting.length) {
        const next = waiting[head]!;
        waiting[head++] = undefined;
        if (head === waiting.length) {
          waiting = [];
          head = 0;
        }
        start(next);
      }
    };
    const failed = (error: unknown): void => {
      this.#logger.error(`Delivery failed on ${channel}`, { error: String(error) });
      settled();
    };
    const start = (incoming: IncomingMessage): void => {
      open++;
      deliver(incoming).then(settled, failed);
    };
    const hand = (incoming: IncomingMessage): void => {
      if (open < limit && head === waiting.length) start(incoming);
      else waiting.push(incoming);
    };
    const listener: Listener = (name, body) => {
      try {
        receive(name, body);
      } catch (error) {
        this.#logger.error(`Pub/Sub message on ${name} could not be handed over: ${String(error)}`);
      }
    };
    const receive: Listener = (name, body) => {
      const fields = readMessage(body);
      const make = (count: number): IncomingMessage => ({
        channel: name,
        body: fields.body,
        headers: fields.headers,
        contentType: fields.contentType,
        correlationId: fields.correlationId,
        messageId: fields.messageId,
        replyTo: fields.replyTo,
        decodeError: fields.error,
        redelivered: count > 1,
        deliveryCount: count,
        raw: { channel: name, pattern: pattern ? channel : undefined, data: body },
        ack: () => Promise.resolve(),
        reject: () => Promise.resolve(),
        nack: (options) => {
          if (stopped) return Promise.resolve();
          const timer = setTimeout(() => {
            timers.delete(timer);
            if (!stopped) hand(make(count + 1));
          }, options?.delay ?? 0);
          timers.add(timer);
          return Promise.resolve();
        },
      });
      hand(make(1));
    };
    let set = table.get(channel);
    if (!set) table.set(channel, set = new Set());
    set.add(listener);
    if (set.size === 1) {
      if (pattern) await this.#client.psubscribe(channel);
      else await this.#client.subscribe(channel);
    }
    return {
      stop: async () => {
        if (stopped) return;
        stopped = true;
        for (const timer of timers) clearTimeout(timer);
        // What arrived before the stop is handed over now, so the core's graceful stop waits for it.
        const rest = waiting.slice(head) as IncomingMessage[];
        waiting = [];
        head = 0;
        for (const incoming of rest) start(incoming);
        set.delete(listener);
        if (set.size > 0) return;
        table.delete(channel);
        if (this.#client.status !== "ready") return;
        if (pattern) await this.#client.punsubscribe(channel).catch(() => undefined);
        else await this.#client.unsubscribe(channel).catch(() => undefined);
      },
    };
  }
}
