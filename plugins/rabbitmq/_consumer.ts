/**
 * One subscription on the real broker: its own channel with the subscriber's prefetch, its declarations,
 * and a consumer; all restored after a reconnection. Messages are settled with RabbitMQ's own ack, nack
 * (requeue) and reject (dead-letter) — acks of messages settled in order coalesced into one frame per turn of
 * the event loop ({@linkcode Settlements}); a delayed nack holds the message for the delay, then requeues it.
 *
 * Messages go to the core through a {@linkcode DeliveryWindow} of the prefetch. RabbitMQ itself stops at the
 * channel's prefetch (`basic.qos`), so the window never has to hold the consumer back; it counts what the
 * core holds, so that a stopped consumer closes its channel only once the core settled all of it.
 *
 * @module
 */

import { type Deliver, type Logger, SETTLED, type SubscriptionHandle } from "@sluice/core";
import { DeliveryWindow, describeError } from "@sluice/core/kit";
import type { ChannelModel, ConsumeMessage } from "amqplib";
import type { AmqpConnection } from "./_connection.ts";
import { bindQueue, declareExchange, declareQueue } from "./_declare.ts";
import { type Delivery, Settlements } from "./_acks.ts";
import { DeliveryCounter, oversized, type ReplyQueues, type SubscriptionPlan } from "./_topology.ts";
import { AmqpIncoming, quorumDeliveryCount } from "./message.ts";
import type { AwaitedReply, OrderedReplies } from "./_replies.ts";

/** How a consumer's messages settle; one per consumer. */
interface Settling {
  /** The queue's delivery limit: a nack of the last allowed delivery rejects (dead-letters) instead. */
  readonly limit: number | undefined;
  /** Forgets the delivery count of a message settled for good. */
  forget(id: string | undefined): void;
  /** Settles a message on the channel it came on, if that is still the consumer's channel. */
  run(on: Settlements, how: "ack" | "nack" | "reject", message: ConsumerMessage): void;
  /** Runs `then` after `delay` ms, holding the consumer's channel open until it ran. */
  later(delay: number, then: () => void): void;
}

/**
 * A message of a consumer: settled with RabbitMQ's ack, nack (requeue) or reject (dead-letter) on the channel
 * it came on; the first settlement wins. RabbitMQ has no delayed requeue: a delayed nack holds the message
 * (it still counts against the prefetch) for the delay, then requeues it, and resolves at once so that the
 * handler's slot is free meanwhile.
 */
class ConsumerMessage extends AmqpIncoming<ConsumeMessage> implements Delivery {
  /** The reply this delivery awaits on its channel. */
  awaited: AwaitedReply | undefined;
  readonly #id: string | undefined;
  readonly #on: Settlements;
  readonly #settling: Settling;
  #open = true;

  constructor(
    message: ConsumeMessage,
    id: string | undefined,
    count: number,
    on: Settlements,
    settling: Settling,
  ) {
    super(message, count);
    this.#id = id;
    this.#on = on;
    this.#settling = settling;
  }

  override ack(): Promise<void> {
    this.#settling.forget(this.#id);
    return this.#settle("ack");
  }
  override reject(): Promise<void> {
    this.#settling.forget(this.#id);
    return this.#settle("reject");
  }
  override nack(options?: { readonly delay?: number }): Promise<void> {
    const limit = this.#settling.limit;
    if (limit !== undefined && this.deliveryCount! >= limit) return this.reject();
    const delay = options?.delay ?? 0;
    if (delay <= 0) return this.#settle("nack");
    this.#settling.later(delay, () => void this.#settle("nack"));
    return SETTLED;
  }

  /** Whether the message was acked, nacked or rejected. */
  get settled(): boolean {
    return !this.#open;
  }

  #settle(how: "ack" | "nack" | "reject"): Promise<void> {
    if (this.#open) {
      this.#open = false;
      this.#settling.run(this.#on, how, this);
    }
    return SETTLED;
  }
}

/** A running subscription. */
export class AmqpConsumer implements SubscriptionHandle {
  readonly #connection: AmqpConnection;
  readonly #plan: SubscriptionPlan;
  readonly #prefetch: number;
  readonly #deliver: Deliver;
  readonly #logger: Logger;
  readonly #replyQueues: ReplyQueues;
  readonly #ordered: OrderedReplies;
  readonly #maxMessageSize: number | undefined;
  readonly #counter = new DeliveryCounter();
  readonly #timers = new Set<ReturnType<typeof setTimeout>>();
  readonly #window: DeliveryWindow;
  /** The current channel's settlements; undefined while there is none. */
  #on: Settlements | undefined;
  #consumerTag: string | undefined;
  #stopped = false;
  #removeRestorer: (() => void) | undefined;

  /** What this consumer's messages settle through, shared by all of them. */
  readonly #settling: Settling;

  constructor(options: {
    connection: AmqpConnection;
    plan: SubscriptionPlan;
    prefetch: number;
    deliver: Deliver;
    logger: Logger;
    replyQueues: ReplyQueues;
    ordered: OrderedReplies;
    maxMessageSize?: number;
  }) {
    this.#connection = options.connection;
    this.#plan = options.plan;
    this.#prefetch = Math.max(1, options.prefetch);
    // A message the core failed to settle goes back to its queue. The window reports it, so a delivery
    // the core settled in the same turn (SETTLED) frees its slot without a promise of the consumer's own.
    this.#window = new DeliveryWindow(this.#prefetch, (error, message) => {
      this.#logger.error(`Delivering message ${message.messageId} failed: ${describeError(error)}`);
      message.nack().catch((nackError) =>
        this.#logger.error(`Message ${message.messageId} could not go back: ${describeError(nackError)}`)
      );
    });
    this.#deliver = options.deliver;
    this.#logger = options.logger;
    this.#replyQueues = options.replyQueues;
    this.#ordered = options.ordered;
    this.#maxMessageSize = options.maxMessageSize;
    this.#settling = {
      limit: options.plan.queue.deliveryLimit,
      forget: (id) => this.#counter.forget(id),
      run: (on, how, message) => {
        if (message.awaited) this.#ordered.settled(message.awaited);
        if (on !== this.#on) {
          // The channel died with the connection: RabbitMQ already returned the message to its queue.
          this.#logger.debug(
            `Could not ${how} message ${message.messageId}: its channel is gone; it will be redelivered`,
          );
          return;
        }
        if (how === "ack") on.ack(message);
        else on.refuse(message, how === "nack");
      },
      later: (delay, then) => {
        const timer = setTimeout(() => {
          this.#timers.delete(timer);
          then();
          this.#closeIfDone();
        }, delay);
        this.#timers.add(timer);
      },
    };
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
      const on = new Settlements(channel, this.#prefetch, (error) => {
        this.#logger.debug(`Could not settle a message: ${describeError(error)}`);
      });
      this.#on = on;
      const { consumerTag } = await channel.consume(
        queue,
        (message) => this.#onMessage(on, message),
        { arguments: plan.consumerArguments },
      );
      this.#consumerTag = consumerTag;
    } catch (error) {
      if (this.#on?.channel === channel) this.#on = undefined;
      await channel.close().catch(() => undefined);
      throw error;
    }
  }

  #onMessage(on: Settlements, message: ConsumeMessage | null): void {
    if (message === null) {
      this.#logger.warn(`RabbitMQ cancelled the consumer of ${this.#plan.queue.name || "its queue"}`);
      return;
    }
    const id = message.properties.messageId as string | undefined;
    const count = quorumDeliveryCount(message) ?? this.#counter.next(id, message.fields.redelivered);
    const converted = new ConsumerMessage(message, id, count, on, this.#settling);
    on.track(converted);
    if (oversized(converted, this.#maxMessageSize, this.#logger)) return void converted.reject();
    this.#replyQueues.add(converted.replyTo);
    converted.awaited = this.#ordered.expect(converted, on);
    this.#window.hand(this.#deliver, converted);
  }

  /** Stops the consumer; the channel closes once the core settled what it holds. */
  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    this.#removeRestorer?.();
    this.#window.close();
    const channel = this.#on?.channel;
    if (channel && this.#consumerTag) await channel.cancel(this.#consumerTag).catch(() => undefined);
    // What the core still holds settles later; the channel closes after the last of it.
    void this.#window.whenDrained().then(() => this.#closeIfDone());
  }

  #closeIfDone(): void {
    if (!this.#stopped || this.#window.open > 0 || this.#timers.size > 0) return;
    this.#closeChannel();
  }

  /**
   * Sends the channel's pending acks and closes it through the connection, which waits for it so that the
   * acks sent on it arrive.
   */
  #closeChannel(): void {
    const on = this.#on;
    this.#on = undefined;
    if (!on) return;
    on.flush();
    void this.#connection.closeChannel(on.channel);
  }

  /** Drops held messages: closing the channel returns them, and what is still unsettled, to their queues. */
  dispose(): void {
    for (const timer of this.#timers) clearTimeout(timer);
    this.#timers.clear();
    this.#closeChannel();
  }
}
