/**
 * Request/reply over RabbitMQ's direct reply-to: one channel consumes the `amq.rabbitmq.reply-to`
 * pseudo-queue (no ack, no queue to declare) and publishes every request on that same channel, as RabbitMQ
 * requires; replies are matched to requests by correlation id, so any number can be in flight.
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
