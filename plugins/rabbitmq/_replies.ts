/**
 * Request/reply over RabbitMQ's direct reply-to: one channel consumes the `amq.rabbitmq.reply-to`
 * pseudo-queue (no ack, no queue to declare) and publishes every request on that same channel, as RabbitMQ
 * requires; replies are matched to requests by correlation id, so any number can be in flight. On the
 * responding side, a subscriber's reply goes out on the request's own channel ({@linkcode OrderedReplies}).
 *
 * @module
 */

import { ConnectionError, type IncomingMessage, type Logger, StateError, TimeoutError } from "@sluice/core";
import { AwaitedReplies, describeError } from "@sluice/core/kit";
import type { Channel, ChannelModel, ConsumeMessage } from "amqplib";
import type { AmqpConnection } from "./_connection.ts";
import { toBuffer } from "./_publisher.ts";
import { DIRECT_REPLY_TO } from "./_topology.ts";
import { AmqpIncoming, type AmqpPublishProperties } from "./message.ts";
import { DrainGate } from "./_drain.ts";
import type { Settlements } from "./_acks.ts";

/** Requests over direct reply-to. */
export class DirectReplies {
  readonly #connection: AmqpConnection;
  readonly #logger: Logger;
  readonly #pending = new AwaitedReplies<IncomingMessage>();
  #channel: Promise<Channel> | undefined;
  readonly #drain = new DrainGate();

  constructor(connection: AmqpConnection, logger: Logger) {
    this.#connection = connection;
    this.#logger = logger;
  }

  /** Publishes a request and waits for the reply with its correlation id. */
  async request(
    exchange: string,
    routingKey: string,
    body: Uint8Array,
    properties: AmqpPublishProperties,
    options: { readonly timeout: number; readonly signal?: AbortSignal },
  ): Promise<IncomingMessage> {
    const id = properties.correlationId;
    if (id === undefined) throw new StateError("A request needs a correlation id");
    this.#channel ??= this.#connection.ready().then((model) => this.#open(model));
    const channel = await this.#channel;
    const reply = this.#pending.wait(
      id,
      options.timeout,
      options.signal,
      () =>
        new TimeoutError(`No reply from ${routingKey} within ${options.timeout} ms (correlation id ${id})`),
    );
    try {
      await this.#drain.pass();
      const written = channel.publish(exchange, routingKey, toBuffer(body), {
        ...properties,
        replyTo: DIRECT_REPLY_TO,
      });
      if (!written) this.#drain.block(channel);
    } catch (error) {
      this.#pending.reject(id, error as Error);
      throw error;
    }
    return await reply;
  }

  /** Fails the requests still waiting and stops their timer. */
  close(): void {
    this.#pending.close(new ConnectionError("The broker closed before the reply came"));
  }

  #open(model: ChannelModel): Promise<Channel> {
    const opening = (async () => {
      const channel = await model.createChannel();
      channel.on(
        "error",
        (error: Error) => this.#logger.warn(`The reply channel failed: ${describeError(error)}`),
      );
      channel.on("close", () => {
        if (this.#channel !== opening) return;
        // Replies to requests sent on this channel can no longer arrive.
        const lost = new ConnectionError(
          "The connection dropped before the reply arrived; send the request again",
        );
        this.#pending.rejectAll(lost);
        this.#channel = undefined; // the next request opens a channel on the next connection
      });
      await channel.consume(DIRECT_REPLY_TO, (message) => this.#onReply(message), { noAck: true });
      return channel;
    })();
    opening.catch(() => {
      if (this.#channel === opening) this.#channel = undefined;
    });
    this.#channel = opening;
    return opening;
  }

  #onReply(message: ConsumeMessage | null): void {
    if (!message) return;
    const reply = new AmqpIncoming(message, 1);
    const id = reply.correlationId;
    if (id === undefined || !this.#pending.resolve(id, reply)) {
      this.#logger.debug("Dropped a reply nobody waits for", { correlationId: reply.correlationId });
    }
  }
}

/** A delivery waiting for its reply to a direct reply-to address, by the id the reply will carry. */
export interface AwaitedReply {
  readonly id: string;
  readonly address: string;
  readonly on: Settlements;
}

/**
 * Replies to direct reply-to sent on the request's own channel, just before the request's ack, without a
 * confirm. The other way — the reply confirmed on the publishing channel, the request acked after the confirm —
 * has RabbitMQ, at a subscriber's default prefetch of 1, hold the next request for a confirm's round trip
 * (22–53 µs of a round trip in `bench/rabbitmq/rpc.ts`, bench/README.md) and promises nothing more: RabbitMQ
 * handles a channel's frames in order, so the ack cannot arrive without the reply before it, and a reply to
 * direct reply-to is stored nowhere (RabbitMQ drops it when the requester is gone, confirmed or not). A
 * connection lost before the ack still has the request delivered again, and answered again.
 *
 * Only the core's reply is sent so: a publish to the address the delivery names, with its correlation id (or
 * its message id), while the delivery is unsettled. Anything else — a second reply, a mandatory one, one on a
 * channel that closed meanwhile — goes the confirmed way.
 */
export class OrderedReplies {
  /** By correlation id; two deliveries with one id are rare, and the later one's reply goes the usual way. */
  readonly #waiting = new Map<string, AwaitedReply>();

  /**
   * Notes a delivery on `on` whose reply may go on that channel: the core answers to its `replyTo` with its
   * correlation id, or its message id. Undefined when it asks for no direct reply-to reply.
   */
  expect(
    delivery: Pick<IncomingMessage, "replyTo" | "correlationId" | "messageId">,
    on: Settlements,
  ): AwaitedReply | undefined {
    const address = delivery.replyTo;
    const id = delivery.correlationId ?? delivery.messageId;
    if (address === undefined || id === undefined || !address.startsWith(DIRECT_REPLY_TO)) return undefined;
    if (this.#waiting.has(id)) return undefined;
    const awaited = { id, address, on };
    this.#waiting.set(id, awaited);
    return awaited;
  }

  /** Forgets a delivery that settled (its reply sent or not). */
  settled(awaited: AwaitedReply): void {
    if (this.#waiting.get(awaited.id) === awaited) this.#waiting.delete(awaited.id);
  }

  /** Publishes `body` on the channel of the delivery that awaits it; false when none does (send it as usual). */
  send(address: string, body: Uint8Array, properties: AmqpPublishProperties): boolean {
    const id = properties.correlationId;
    if (id === undefined || properties.mandatory) return false;
    const awaited = this.#waiting.get(id);
    if (awaited === undefined || awaited.address !== address) return false;
    this.#waiting.delete(id);
    try {
      // Written into the channel's buffer ahead of the ack; amqplib's drain concerns a stream of publishes,
      // not one reply per delivery of a bounded prefetch.
      awaited.on.channel.publish("", address, toBuffer(body), properties);
      return true;
    } catch {
      return false; // the channel closed: the request comes again; this reply goes the usual way meanwhile
    }
  }
}
