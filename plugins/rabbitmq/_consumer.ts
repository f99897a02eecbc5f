/**
 * One subscription on the real broker: its own channel with the subscriber's prefetch, its declarations,
 * and a consumer; all restored after a reconnection. Messages are settled with RabbitMQ's own ack, nack
 * (requeue) and reject (dead-letter); a delayed nack holds the message for the delay, then requeues it.
 *
 * Messages go to the core through a {@linkcode DeliveryWindow} of the prefetch. RabbitMQ itself stops at the
 * channel's prefetch (`basic.qos`), so the window never has to hold the consumer back; it counts what the
 * core holds, so that a stopped consumer closes its channel only once the core settled all of it.
 *
 * @module
 */

import type { Deliver, IncomingMessage, Logger, SubscriptionHandle } from "@sluice/core";
import { DeliveryWindow, describeError } from "@sluice/core/kit";
import type { Channel, ChannelModel, ConsumeMessage } from "amqplib";
import type { AmqpConnection } from "./_connection.ts";
import { bindQueue, declareExchange, declareQueue } from "./_declare.ts";
import { DeliveryCounter, oversized, type ReplyQueues, type SubscriptionPlan } from "./_topology.ts";
import { incoming, quorumDeliveryCount } from "./message.ts";

/** A running subscription. */
export class AmqpConsumer implements SubscriptionHandle {
  readonly #connection: AmqpConnection;
  readonly #plan: SubscriptionPlan;
  readonly #prefetch: number;
  readonly #deliver: Deliver;
  readonly #logger: Logger;
  readonly #replyQueues: ReplyQueues;
  readonly #maxMessageSize: number | undefined;
  readonly #counter = new DeliveryCounter();
  readonly #timers = new Set<ReturnType<typeof setTimeout>>();
  readonly #window: DeliveryWindow;
  #channel: Channel | undefined;
  #consumerTag: string | undefined;
  #stopped = false;
  #removeRestorer: (() => void) | undefined;

  /** Hands a message to the core; one the core failed to settle goes back to its queue. */
  readonly #handOver = (message: IncomingMessage): Promise<void> =>
    this.#deliver(message).catch((error) => {
      this.#logger.error(`Delivering message ${message.messageId} failed: ${describeError(error)}`);
      return message.nack();
    });

  constructor(options: {
    connection: AmqpConnection;
    plan: SubscriptionPlan;
    prefetch: number;
    deliver: Deliver;
    logger: Logger;
    replyQueues: ReplyQueues;
    maxMessageSize?: number;
  }) {
    this.#connection = options.connection;
    this.#plan = options.plan;
    this.#prefetch = Math.max(1, options.prefetch);
    this.#window = new DeliveryWindow(this.#prefetch);
    this.#deliver = options.deliver;
    this.#logger = options.logger;
    this.#replyQueues = options.replyQueues;
    this.#maxMessageSize = options.maxMessageSize;
  }

  /** Declares, binds and consumes; resolves once the consumer is registered (the subscription is live). */
  async start(): Promise<void> {
    await this.#open(await this.#connection.ready());
    this.#removeRestorer = this.#connection.onRestore(async (model) => {
      if (this.#stopped) return;
      await this.#open(model);
      this.#logger.info(`Resumed consuming from ${this.#plan.queue.name || "a new server-named queue"}`);
    });
  }

  async #open(model: ChannelModel): Promise<void> {
    const channel = await model.createChannel();
    channel.on("error", (error: Error) => {
      this.#logger.warn(`The consumer channel failed: ${describeError(error)}`);
    });
    try {
      await channel.prefetch(this.#prefetch);
      const plan = this.#plan;
      if (plan.exchange) await declareExchange(channel, plan.exchange);
      const queue = await declareQueue(channel, plan.queue);
      if (plan.exchange && !plan.queue.passive) {
        await bindQueue(channel, queue, plan.exchange.name, plan.bindingKey, plan.bindArguments);
      }
      // The current channel before consume: deliveries can arrive before consume() resolves, and their
      // acks must go to this channel, not be taken for leftovers of a dead one.
      this.#channel = channel;
      const { consumerTag } = await channel.consume(
        queue,
        (message) => this.#onMessage(channel, message),
        { arguments: plan.consumerArguments },
      );
      this.#consumerTag = consumerTag;
    } catch (error) {
      if (this.#channel === channel) this.#channel = undefined;
      await channel.close().catch(() => undefined);
      throw error;
    }
  }

  #onMessage(channel: Channel, message: ConsumeMessage | null): void {
    if (message === null) {
      this.#logger.warn(`RabbitMQ cancelled the consumer of ${this.#plan.queue.name || "its queue"}`);
      return;
    }
    const messageId = message.properties.messageId as string | undefined;
    const count = quorumDeliveryCount(message) ??
      this.#counter.next(messageId, message.fields.redelivered);
    const limit = this.#plan.queue.deliveryLimit;
    let open = true;
    const settle = (action: (channel: Channel) => void, what: string): Promise<void> => {
      if (!open) return Promise.resolve();
      open = false;
      if (channel !== this.#channel) {
        // The channel died with the connection: RabbitMQ already returned the message to its queue.
        this.#logger.debug(
          `Could not ${what} message ${messageId}: its channel is gone; it will be redelivered`,
        );
      } else {
        try {
          action(channel);
        } catch (error) {
          this.#logger.debug(`Could not ${what} message ${messageId}: ${describeError(error)}`);
        }
      }
      return Promise.resolve();
    };
    const reject = (): Promise<void> => {
      this.#counter.forget(messageId);
      return settle((c) => c.reject(message, false), "reject");
    };
    const converted = incoming(message, {
      ack: () => {
        this.#counter.forget(messageId);
        return settle((c) => c.ack(message), "ack");
      },
      nack: (options) => {
        if (limit !== undefined && count >= limit) return reject();
        const delay = options?.delay ?? 0;
        if (delay <= 0) return settle((c) => c.nack(message, false, true), "nack");
        // RabbitMQ has no delayed requeue: hold the message (it still counts against the prefetch) for the
        // delay, then requeue it. Resolving now frees the handler's slot without spinning.
        const timer = setTimeout(() => {
          this.#timers.delete(timer);
          void settle((c) => c.nack(message, false, true), "nack");
          this.#closeIfDone();
        }, delay);
        this.#timers.add(timer);
        return Promise.resolve();
      },
      reject,
    }, count);
    if (oversized(converted, this.#maxMessageSize, this.#logger)) return void converted.reject();
    this.#replyQueues.add(converted.replyTo);
    this.#window.hand(this.#handOver, converted);
  }

  /** Stops the consumer; the channel closes once the core settled what it holds. */
  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    this.#removeRestorer?.();
    this.#window.close();
    const channel = this.#channel;
    if (channel && this.#consumerTag) await channel.cancel(this.#consumerTag).catch(() => undefined);
    // What the core still holds settles later; the channel closes after the last of it.
    void this.#window.whenDrained().then(() => this.#closeIfDone());
  }

  #closeIfDone(): void {
    if (!this.#stopped || this.#window.open > 0 || this.#timers.size > 0) return;
    this.#closeChannel();
  }

  /** Closes the channel through the connection, which waits for it so that the acks sent on it arrive. */
  #closeChannel(): void {
    const channel = this.#channel;
    this.#channel = undefined;
    if (channel) void this.#connection.closeChannel(channel);
  }

  /** Drops held messages: closing the channel returns them, and what is still unsettled, to their queues. */
  dispose(): void {
    for (const timer of this.#timers) clearTimeout(timer);
    this.#timers.clear();
    this.#closeChannel();
  }
}
