/**
 * The in-memory emulation of RabbitMQ, for `testBroker()`: the same options and declarations as the real
 * driver, routed by the same rules — the default exchange, direct, fanout, topic (`*`, `#`) and headers
 * (`x-match` all/any) exchanges; queues with competing consumers, prefetch, requeue, delivery limits and
 * dead-lettering (`x-dead-letter-exchange`, `x-dead-letter-routing-key`); direct reply-to; mandatory
 * publishes. Built on the core's MemoryQueue.
 *
 * @module
 */

import {
  ConnectionError,
  type Emulation,
  EmulationLimitError,
  type IncomingMessage,
  type Logger,
  type OutgoingMessage,
  silentLogger,
  StateError,
  type SubscriptionHandle,
  TimeoutError,
} from "@sluice/core";
import { Activity, AwaitedReplies, MemoryQueue, parseOptions, type StoredMessage } from "@sluice/core/kit";
import { type EmulatedQueue, Exchanges } from "./_exchanges.ts";
import {
  checkSize,
  DIRECT_REPLY_TO,
  exchangeDeclaration,
  oversized,
  planSubscription,
  publishExchange,
  type QueueDeclaration,
  queueDeclaration,
  ReplyQueues,
  TopologyError,
  UnroutableError,
} from "./_topology.ts";
import {
  brokerOptions,
  checkPublishOptions,
  type RabbitmqOptions,
  type RabbitmqPublishOptions,
  type RabbitmqSubscribeOptions,
  subscribeOptions,
} from "./options.ts";
import { rabbitmqRules } from "./rules.ts";

/** The emulation of a RabbitMQ broker: the driver's contract, with the broker's matching and `idle()`. */
export type RabbitmqEmulation = Emulation<RabbitmqSubscribeOptions, RabbitmqPublishOptions>;

/**
 * Creates a fresh emulation of a RabbitMQ broker with these options (the URL is only shown); `testBroker()`
 * uses one in place of the driver.
 *
 * @example
 * ```ts
 * import { rabbitmqEmulation } from "@sluice/rabbitmq";
 * const emulation = rabbitmqEmulation({ exchange: "amq.topic" });
 * emulation.matches("logs.#", "logs.api.error"); // true
 * ```
 */
export function rabbitmqEmulation(options: RabbitmqOptions = {}): RabbitmqEmulation {
  parseOptions(brokerOptions, options);
  const exchange = options.exchange ?? "amq.topic";
  const passive = options.passive ?? false;
  const activity = new Activity();
  const replyQueues = new ReplyQueues();
  const exchanges = new Exchanges();
  let connected = false;
  let ids = 0;
  let logger: Logger = silentLogger;
  /** Requests waiting for their reply, by correlation id, as the driver matches them (`_replies.ts`). */
  const replies = new AwaitedReplies<IncomingMessage>();

  const assertConnected = (): void => {
    if (!connected) throw new StateError("The RabbitMQ emulation is not connected");
  };

  const stored = (
    exchangeName: string,
    routingKey: string,
    message: OutgoingMessage,
    headers: Record<string, string> = { ...message.headers },
  ): StoredMessage => ({
    channel: routingKey,
    body: message.body,
    headers,
    contentType: message.contentType,
    correlationId: message.correlationId,
    messageId: message.messageId,
    replyTo: message.replyTo,
    raw: { exchange: exchangeName, routingKey },
  });

  /** Routes a message; returns how many queues got it. */
  const route = (exchangeName: string, message: StoredMessage): number => {
    if (exchangeName === "" && message.channel.startsWith(DIRECT_REPLY_TO)) {
      const reply = replyMessage(message);
      return reply.correlationId !== undefined && replies.resolve(reply.correlationId, reply) ? 1 : 0;
    }
    const queues = exchanges.route(exchangeName, message.channel, { ...message.headers });
    for (const queue of queues) queue.queue.push(message);
    return queues.length;
  };

  const deadLetter =
    (declaration: QueueDeclaration, name: () => string) => (message: StoredMessage): void => {
      const dlx = declaration.deadLetterExchange;
      if (dlx === undefined) return;
      const headers = { ...message.headers };
      const source = (message.raw as { exchange?: string } | undefined)?.exchange ?? "";
      // RabbitMQ keeps the first death's facts; later deaths only add to x-death (not emulated).
      headers["x-first-death-reason"] ??= "rejected";
      headers["x-first-death-queue"] ??= name();
      headers["x-first-death-exchange"] ??= source;
      const key = declaration.deadLetterRoutingKey ?? message.channel;
      try {
        route(dlx, { ...message, channel: key, headers, raw: { exchange: dlx, routingKey: key } });
      } catch {
        // RabbitMQ drops dead letters to an exchange that does not exist.
      }
    };

  const declareQueue = (declaration: QueueDeclaration): EmulatedQueue => {
    refuseUnemulated(declaration);
    const existing = declaration.name === "" ? undefined : exchanges.queue(declaration.name);
    if (declaration.passive && declaration.name !== "") {
      if (!existing) {
        throw new TopologyError(
          `RabbitMQ refused the queue ${declaration.name} (NOT_FOUND - no queue '${declaration.name}'): ` +
            `it does not exist; declare it, or drop passive`,
        );
      }
      return existing;
    }
    if (existing) {
      const old = existing.declaration;
      if (old.durable !== declaration.durable || old.type !== declaration.type) {
        throw new TopologyError(
          `RabbitMQ refused the queue ${declaration.name} (PRECONDITION_FAILED - inequivalent arg): it exists ` +
            `with other settings; declare it with the same type, durability and arguments`,
        );
      }
      return existing;
    }
    const name = declaration.name || `amq.gen-${crypto.randomUUID()}`;
    const queue: EmulatedQueue = {
      name,
      declaration,
      consumers: 0,
      queue: new MemoryQueue(name, {
        activity,
        maxDeliveries: declaration.deliveryLimit,
        deadLetter: deadLetter(declaration, () => name),
      }),
    };
    exchanges.addQueue(queue);
    return queue;
  };

  const publishOne = (channel: string, message: OutgoingMessage, publishOptions: RabbitmqPublishOptions) => {
    assertConnected();
    checkPublishOptions(publishOptions, channel);
    for (const option of ["expiration", "priority"] as const) {
      if (publishOptions[option] !== undefined) {
        throw new EmulationLimitError(
          "rabbitmq",
          `the publish option ${option} (of a message to ${channel})`,
          option === "expiration"
            ? "nothing expires in memory"
            : "queues do not reorder by priority in memory",
        );
      }
    }
    checkSize(message.body, options.maxMessageSize, channel);
    const target = publishExchange(channel, publishOptions, { exchange, replyQueues });
    const reached = route(target, stored(target, channel, message));
    if (reached === 0 && publishOptions.mandatory) {
      throw new UnroutableError(
        `No queue is bound to ${target || "the default exchange"} for routing key "${channel}": ` +
          `the mandatory message ${message.messageId} was returned`,
      );
    }
  };

  const driver: RabbitmqEmulation = {
    name: "rabbitmq",
    url: "memory://rabbitmq",
    rules: rabbitmqRules,
    matches: rabbitmqRules.matches,

    connect(context) {
      logger = context.logger;
      connected = true;
      const topology = options.declare;
      if (!topology) return Promise.resolve();
      try {
        for (const x of topology.exchanges ?? []) exchanges.declareExchange(exchangeDeclaration(x, passive));
        for (const q of topology.queues ?? []) declareQueue(queueDeclaration(q, passive));
        if (!passive) {
          for (const b of topology.bindings ?? []) {
            const queue = exchanges.queue(b.queue);
            if (!queue) {
              throw new TopologyError(
                `RabbitMQ refused binding ${b.queue} to ${b.exchange} (NOT_FOUND - no queue '${b.queue}')`,
              );
            }
            exchanges.bind(queue, b.exchange, b.routingKey ?? "", { ...b.arguments });
          }
        }
      } catch (error) {
        connected = false;
        return Promise.reject(error);
      }
      return Promise.resolve();
    },

    close() {
      connected = false;
      // Exclusive queues (every server-named one) go with the connection; exchanges, bindings and the other
      // queues with their messages stay on the broker, for the next session on the same broker object.
      for (const queue of exchanges.queues()) {
        if (queue.declaration.exclusive) exchanges.deleteQueue(queue);
      }
      replies.close(new ConnectionError("The broker closed before the reply came"));
      return Promise.resolve();
    },

    subscribe(spec, deliver): Promise<SubscriptionHandle> {
      try {
        assertConnected();
        parseOptions(subscribeOptions, spec.options, spec.template);
        const plan = planSubscription(spec, { exchange, passive });
        if (plan.exchange) exchanges.declareExchange(plan.exchange);
        const queue = declareQueue(plan.queue);
        if (plan.exchange && !plan.queue.passive) {
          exchanges.bind(queue, plan.exchange.name, plan.bindingKey, plan.bindArguments);
        }
        queue.consumers++;
        const cancel = queue.queue.consume(spec.prefetch, (message) => {
          const limit = spec.options.maxMessageSize ?? options.maxMessageSize;
          if (oversized(message, limit, logger.child({ subscriber: spec.template }))) {
            return message.reject();
          }
          replyQueues.add(message.replyTo);
          return deliver(message);
        });
        let stopped = false;
        return Promise.resolve({
          stop() {
            if (stopped) return Promise.resolve();
            stopped = true;
            cancel();
            queue.consumers--;
            // An auto-delete queue goes with its last consumer, as in RabbitMQ.
            if (queue.consumers === 0 && queue.declaration.autoDelete) exchanges.deleteQueue(queue);
            return Promise.resolve();
          },
        });
      } catch (error) {
        return Promise.reject(error);
      }
    },

    publish(channel, message, publishOptions) {
      try {
        publishOne(channel, message, publishOptions);
        return Promise.resolve();
      } catch (error) {
        return Promise.reject(error);
      }
    },

    publishBatch(channel, messages, publishOptions) {
      try {
        for (const message of messages) publishOne(channel, message, publishOptions);
        return Promise.resolve();
      } catch (error) {
        return Promise.reject(error);
      }
    },

    async request(channel, message, requestOptions): Promise<IncomingMessage> {
      assertConnected();
      const { timeout, signal, ...publishOptions } = requestOptions;
      const id = message.correlationId;
      if (id === undefined) throw new StateError("A request needs a correlation id");
      const reply = replies.wait(
        id,
        timeout,
        signal,
        () => new TimeoutError(`No reply from ${channel} within ${timeout} ms (correlation id ${id})`),
      );
      try {
        publishOne(channel, { ...message, replyTo: `${DIRECT_REPLY_TO}.${++ids}` }, publishOptions);
      } catch (error) {
        replies.reject(id, error as Error);
        throw error;
      }
      return await reply;
    },

    ping() {
      assertConnected();
      return Promise.resolve();
    },

    idle: () => activity.whenIdle(),
  };
  return driver;
}

/** Queue arguments whose effect the emulation does not reproduce, by the option that sets each. */
const UNEMULATED_ARGUMENTS: Readonly<Record<string, string>> = {
  "x-message-ttl": "messageTtl",
  "x-max-length": "maxLength",
  "x-max-length-bytes": "arguments x-max-length-bytes",
  "x-max-priority": "maxPriority",
  "x-overflow": "arguments x-overflow",
  "x-single-active-consumer": "arguments x-single-active-consumer",
};

/** Refuses a queue whose declaration asks for what the emulation would silently not do. */
function refuseUnemulated(declaration: QueueDeclaration): void {
  const queue = declaration.name || "(server-named)";
  for (const [argument, option] of Object.entries(UNEMULATED_ARGUMENTS)) {
    if (declaration.arguments[argument] !== undefined) {
      throw new EmulationLimitError(
        "rabbitmq",
        `the queue option ${option} (${argument}) of queue ${queue}`,
        "message expiry, length limits, priorities and single active consumers are not emulated",
      );
    }
  }
}

function replyMessage(message: StoredMessage): IncomingMessage {
  const done = (): Promise<void> => Promise.resolve();
  return {
    channel: message.channel,
    body: message.body,
    headers: message.headers,
    contentType: message.contentType,
    correlationId: message.correlationId,
    messageId: message.messageId,
    replyTo: message.replyTo,
    redelivered: false,
    deliveryCount: 1,
    raw: message.raw,
    ack: done,
    nack: done,
    reject: done,
  };
}
