/**
 * How a subscriber's options become RabbitMQ declarations — one plan shared by the driver and the emulation,
 * so both declare, bind and consume the same things.
 *
 * @module
 */

import {
  type IncomingMessage,
  type Logger,
  OptionError,
  SluiceError,
  type SubscriptionSpec,
} from "@sluice/core";
import type {
  ExchangeOptions,
  ExchangeType,
  QueueOptions,
  QueueType,
  RabbitmqPublishOptions,
  RabbitmqSubscribeOptions,
} from "./options.ts";

/** A declaration failed: a passive check found nothing, or it clashes with what exists. */
export class TopologyError extends SluiceError {}

/** A `mandatory` publish reached no queue. */
export class UnroutableError extends SluiceError {}

/** A message is bigger than the broker's `maxMessageSize`. */
export class MessageTooLargeError extends SluiceError {}

/** Throws if a body to publish is over the limit. */
export function checkSize(body: Uint8Array, limit: number | undefined, channel: string): void {
  if (limit !== undefined && body.byteLength > limit) {
    throw new MessageTooLargeError(
      `The message to ${channel} is ${body.byteLength} bytes, over maxMessageSize (${limit}): ` +
        `send less, or raise maxMessageSize`,
    );
  }
}

/**
 * Whether an incoming message is over the limit; if so it is logged with its id (the caller rejects it,
 * so it is dead-lettered where the queue says, and the consumer goes on).
 */
export function oversized(message: IncomingMessage, limit: number | undefined, logger: Logger): boolean {
  if (limit === undefined || message.body.byteLength <= limit) return false;
  logger.error(
    `Message ${message.messageId} on ${message.channel} is ${message.body.byteLength} bytes, over ` +
      `maxMessageSize (${limit}); rejected`,
    {
      messageId: message.messageId,
      correlationId: message.correlationId,
      channel: message.channel,
      policy: "reject",
    },
  );
  return true;
}

/** The exchanges every RabbitMQ has, with their types. */
export const BUILT_IN_EXCHANGES: ReadonlyMap<string, ExchangeType> = new Map([
  ["amq.direct", "direct"],
  ["amq.fanout", "fanout"],
  ["amq.topic", "topic"],
  ["amq.headers", "headers"],
  ["amq.match", "headers"],
]);

/** The pseudo-queue of direct reply-to. */
export const DIRECT_REPLY_TO = "amq.rabbitmq.reply-to";

/** An exchange declaration with every default filled in. */
export interface ExchangeDeclaration {
  readonly name: string;
  readonly type: ExchangeType;
  readonly durable: boolean;
  readonly autoDelete: boolean;
  readonly internal: boolean;
  readonly arguments: Record<string, unknown>;
  /** Only check it exists. */
  readonly passive: boolean;
  /** A built-in exchange: never declared. */
  readonly builtIn: boolean;
}

/** A queue declaration with every default filled in. */
export interface QueueDeclaration {
  /** Empty for a server-named queue. */
  readonly name: string;
  readonly type: QueueType;
  readonly durable: boolean;
  readonly exclusive: boolean;
  readonly autoDelete: boolean;
  readonly arguments: Record<string, unknown>;
  readonly deadLetterExchange?: string;
  readonly deadLetterRoutingKey?: string;
  readonly deliveryLimit?: number;
  readonly passive: boolean;
}

/** What a subscription declares, binds and consumes. */
export interface SubscriptionPlan {
  /** The exchange to bind to; undefined consumes the queue without binding it. */
  readonly exchange?: ExchangeDeclaration;
  readonly queue: QueueDeclaration;
  readonly bindingKey: string;
  readonly bindArguments: Record<string, unknown>;
  /** Consumer arguments (`x-priority`). */
  readonly consumerArguments: Record<string, unknown>;
}

/** Fills in an exchange declaration. */
export function exchangeDeclaration(
  exchange: string | ExchangeOptions,
  passive = false,
): ExchangeDeclaration {
  const options: ExchangeOptions = typeof exchange === "string" ? { name: exchange } : exchange;
  const builtIn = BUILT_IN_EXCHANGES.get(options.name);
  if (builtIn && options.type && options.type !== builtIn) {
    throw new OptionError(`Exchange ${options.name} is a built-in ${builtIn} exchange, not ${options.type}`);
  }
  const args: Record<string, unknown> = { ...options.arguments };
  if (options.alternateExchange !== undefined) args["alternate-exchange"] = options.alternateExchange;
  return {
    name: options.name,
    type: builtIn ?? options.type ?? "topic",
    durable: options.durable ?? true,
    autoDelete: options.autoDelete ?? false,
    internal: options.internal ?? false,
    arguments: args,
    passive: passive || (options.passive ?? false),
    builtIn: builtIn !== undefined,
  };
}

/** Fills in a queue declaration; `name` is the queue's name when the options do not give one. */
export function queueDeclaration(queue: QueueOptions, passive = false): QueueDeclaration {
  const name = queue.name ?? "";
  const serverNamed = name === "";
  const type = queue.type ?? "classic";
  const durable = queue.durable ?? !serverNamed;
  const exclusive = queue.exclusive ?? serverNamed;
  const autoDelete = queue.autoDelete ?? serverNamed;
  if (type !== "classic" && (serverNamed || !durable || exclusive || autoDelete)) {
    throw new OptionError(
      `A ${type} queue must be named, durable, not exclusive and not auto-delete: give queue.name (or a group)`,
    );
  }
  const args: Record<string, unknown> = { ...queue.arguments };
  if (type !== "classic") args["x-queue-type"] = type;
  if (queue.messageTtl !== undefined) args["x-message-ttl"] = queue.messageTtl;
  if (queue.expires !== undefined) args["x-expires"] = queue.expires;
  if (queue.maxLength !== undefined) args["x-max-length"] = queue.maxLength;
  if (queue.maxPriority !== undefined) args["x-max-priority"] = queue.maxPriority;
  if (queue.deadLetterExchange !== undefined) args["x-dead-letter-exchange"] = queue.deadLetterExchange;
  if (queue.deadLetterRoutingKey !== undefined) {
    args["x-dead-letter-routing-key"] = queue.deadLetterRoutingKey;
  }
  const dlx = args["x-dead-letter-exchange"];
  const dlrk = args["x-dead-letter-routing-key"];
  return {
    name,
    type,
    durable,
    exclusive,
    autoDelete,
    arguments: args,
    deadLetterExchange: typeof dlx === "string" ? dlx : undefined,
    deadLetterRoutingKey: typeof dlrk === "string" ? dlrk : undefined,
    deliveryLimit: queue.deliveryLimit,
    passive: passive || (queue.passive ?? false),
  };
}

/**
 * The plan of a subscription. The queue is the one named by `queue`, else by the group (subscribers of a
 * group compete on it), else a server-named exclusive queue (fan-out); with the exchange `""` and no name,
 * the queue is the channel itself, as in FastStream. The core's reply subscription (`spec.reply`) always gets
 * an exclusive, auto-deleted queue of its own.
 */
export function planSubscription(
  spec: SubscriptionSpec<RabbitmqSubscribeOptions>,
  defaults: { readonly exchange: string; readonly passive: boolean },
): SubscriptionPlan {
  const options = spec.options;
  const exchangeOption = options.exchange ?? defaults.exchange;
  const exchangeName = typeof exchangeOption === "string" ? exchangeOption : exchangeOption.name;
  const queueOption: QueueOptions = typeof options.queue === "string"
    ? { name: options.queue }
    : options.queue ?? {};
  let name = queueOption.name || spec.group || "";
  if (exchangeName === "" && name === "") name = spec.channel;
  // The core's reply subscription gets a private, temporary queue named by its (unique) channel, so that
  // replies reach it through the default exchange too.
  const queue = spec.reply
    ? queueDeclaration({ name: spec.channel, durable: false, exclusive: true, autoDelete: true })
    : queueDeclaration({ ...queueOption, name }, defaults.passive);
  const consumerArguments: Record<string, unknown> = {};
  if (options.consumerPriority !== undefined) consumerArguments["x-priority"] = options.consumerPriority;
  return {
    exchange: exchangeName === "" ? undefined : exchangeDeclaration(exchangeOption, defaults.passive),
    queue,
    bindingKey: options.routingKey ?? spec.channel,
    bindArguments: { ...options.bindArguments },
    consumerArguments,
  };
}

/**
 * The exchange a publish goes to: the option, else the default exchange for replies (direct reply-to
 * addresses and reply-to queues seen on incoming messages, which AMQP defines as queue names), else the
 * broker's exchange.
 */
export function publishExchange(
  channel: string,
  options: RabbitmqPublishOptions,
  defaults: { readonly exchange: string; readonly replyQueues: ReplyQueues },
): string {
  if (options.exchange !== undefined) return options.exchange;
  if (channel.startsWith(DIRECT_REPLY_TO) || defaults.replyQueues.has(channel)) return "";
  return defaults.exchange;
}

/** The reply-to queues of recent incoming messages (bounded), whose replies go to the default exchange. */
export class ReplyQueues {
  readonly #seen = new Set<string>();
  readonly #limit: number;

  /** Remembers at most `limit` addresses. */
  constructor(limit = 1000) {
    this.#limit = limit;
  }

  /** Remembers a reply-to address. */
  add(address: string | undefined): void {
    if (address === undefined || address.startsWith(DIRECT_REPLY_TO) || this.#seen.has(address)) return;
    if (this.#seen.size >= this.#limit) this.#seen.delete(this.#seen.values().next().value!);
    this.#seen.add(address);
  }

  /** Whether replies to `address` go to the default exchange. */
  has(address: string): boolean {
    return this.#seen.has(address);
  }
}

/** Counts deliveries of redelivered messages by message id, for queues that do not count (classic). */
export class DeliveryCounter {
  readonly #counts = new Map<string, number>();

  /** The delivery count of a message being delivered now. */
  next(messageId: string | undefined, redelivered: boolean): number {
    if (messageId === undefined) return redelivered ? 2 : 1;
    if (!redelivered) {
      // Most messages are first deliveries and the map is empty: no lookup of the id then.
      if (this.#counts.size > 0) this.#counts.delete(messageId);
      return 1;
    }
    const count = (this.#counts.get(messageId) ?? 1) + 1;
    if (this.#counts.size >= 10_000) this.#counts.delete(this.#counts.keys().next().value!);
    this.#counts.set(messageId, count);
    return count;
  }

  /** Forgets a message that was settled for good. */
  forget(messageId: string | undefined): void {
    if (messageId !== undefined && this.#counts.size > 0) this.#counts.delete(messageId);
  }
}
