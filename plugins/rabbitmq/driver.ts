/**
 * The RabbitMQ driver, on amqplib: one connection that reconnects, a confirm channel for publishes, a
 * channel per subscriber (its prefetch is the subscriber's), and direct reply-to for requests.
 *
 * @module
 */

import {
  ConnectionError,
  type Driver,
  type IncomingMessage,
  type Logger,
  type SubscriptionHandle,
} from "@sluice/core";
import { importClient, parseOptions } from "@sluice/core/kit";
import { type AmqpClient, AmqpConnection } from "./_connection.ts";
import { AmqpConsumer } from "./_consumer.ts";
import { declareTopology } from "./_declare.ts";
import { AmqpPublisher } from "./_publisher.ts";
import { DirectReplies, OrderedReplies } from "./_replies.ts";
import { checkSize, planSubscription, publishExchange, ReplyQueues } from "./_topology.ts";
import { publishProperties } from "./message.ts";
import {
  brokerOptions,
  checkPublishOptions,
  parseUrl,
  type RabbitmqOptions,
  type RabbitmqPublishOptions,
  type RabbitmqSubscribeOptions,
  subscribeOptions,
} from "./options.ts";
import { rabbitmqRules } from "./rules.ts";
import { rabbitmqDocs } from "./bindings.ts";

/** The RabbitMQ driver, with the plugin's subscriber and publish options. */
export type RabbitmqDriver = Driver<RabbitmqSubscribeOptions, RabbitmqPublishOptions>;

interface Live {
  readonly connection: AmqpConnection;
  readonly publisher: AmqpPublisher;
  readonly replies: DirectReplies;
  readonly logger: Logger;
}

async function loadClient(): Promise<AmqpClient> {
  const module = await importClient("amqplib", () => import("amqplib")) as unknown as
    & Partial<AmqpClient>
    & { default?: AmqpClient };
  return typeof module.connect === "function" ? module as AmqpClient : module.default!;
}

function socketOptions(options: RabbitmqOptions): Record<string, unknown> {
  const socket: Record<string, unknown> = { noDelay: true };
  const tls = options.tls;
  if (tls) {
    for (const [key, value] of Object.entries(tls)) if (value !== undefined) socket[key] = value;
  }
  if (options.connectionName !== undefined) {
    socket.clientProperties = { connection_name: options.connectionName };
  }
  return socket;
}

/**
 * Creates the driver. Options are checked at once; the connection opens on `connect()`.
 */
export function rabbitmqDriver(options: RabbitmqOptions = {}): RabbitmqDriver {
  parseOptions(brokerOptions, options);
  const parsed = parseUrl(options);
  const exchange = options.exchange ?? "amq.topic";
  const passive = options.passive ?? false;
  const replyQueues = new ReplyQueues();
  const ordered = new OrderedReplies();
  const consumers = new Set<AmqpConsumer>();
  let live: Live | undefined;

  const connectUrl = (): string => {
    if (options.heartbeat === undefined) return parsed.connect;
    const url = new URL(parsed.connect);
    url.searchParams.set("heartbeat", String(options.heartbeat));
    return url.toString();
  };

  const need = (): Live => {
    if (!live) throw new ConnectionError(`Not connected to ${parsed.display}: call broker.connect() first`);
    return live;
  };

  return {
    name: "rabbitmq",
    url: parsed.display,
    rules: rabbitmqRules,
    docs: rabbitmqDocs(options),

    async connect(context) {
      const client = await loadClient();
      const logger = context.logger;
      const connection = new AmqpConnection({
        client,
        url: connectUrl(),
        display: parsed.display,
        socketOptions: socketOptions(options),
        reconnect: options.reconnect ?? {},
        logger,
      });
      await connection.open();
      const topology = options.declare;
      if (topology) {
        const declare = (model: Parameters<Parameters<AmqpConnection["onRestore"]>[0]>[0]) =>
          declareTopology(() => model.createChannel(), topology, passive);
        try {
          await declare(await connection.ready());
        } catch (error) {
          await connection.close();
          throw error;
        }
        connection.onRestore(declare);
      }
      const publisher = new AmqpPublisher(connection, {
        confirms: options.confirms ?? true,
        window: options.publishWindow ?? 1024,
        logger,
      });
      live = { connection, publisher, replies: new DirectReplies(connection, logger), logger };
    },

    async close() {
      const current = live;
      live = undefined;
      for (const consumer of consumers) consumer.dispose();
      consumers.clear();
      current?.replies.close();
      await current?.connection.close();
    },

    async subscribe(spec, deliver): Promise<SubscriptionHandle> {
      const { connection, logger } = need();
      parseOptions(subscribeOptions, spec.options, spec.template);
      const consumer = new AmqpConsumer({
        connection,
        plan: planSubscription(spec, { exchange, passive }),
        prefetch: spec.prefetch,
        deliver,
        logger: logger.child({ subscriber: spec.template }),
        replyQueues,
        ordered,
        maxMessageSize: spec.options.maxMessageSize ?? options.maxMessageSize,
      });
      await consumer.start();
      consumers.add(consumer);
      return {
        async stop() {
          consumers.delete(consumer);
          await consumer.stop();
        },
      };
    },

    async publish(channel, message, publishOptions) {
      const { publisher } = need();
      checkPublishOptions(publishOptions, channel);
      checkSize(message.body, options.maxMessageSize, channel);
      const target = publishExchange(channel, publishOptions, { exchange, replyQueues });
      const properties = publishProperties(message, publishOptions);
      if (target === "" && ordered.send(channel, message.body, properties)) return;
      await publisher.publish(target, channel, message.body, properties);
    },

    async publishBatch(channel, messages, publishOptions) {
      const { publisher } = need();
      checkPublishOptions(publishOptions, channel);
      for (const message of messages) checkSize(message.body, options.maxMessageSize, channel);
      const target = publishExchange(channel, publishOptions, { exchange, replyQueues });
      await Promise.all(
        messages.map((message) =>
          publisher.publish(target, channel, message.body, publishProperties(message, publishOptions))
        ),
      );
    },

    request(channel, message, requestOptions): Promise<IncomingMessage> {
      const { replies } = need();
      const { timeout, signal, ...publishOptions } = requestOptions;
      checkPublishOptions(publishOptions, channel);
      checkSize(message.body, options.maxMessageSize, channel);
      const target = publishExchange(channel, publishOptions, { exchange, replyQueues });
      return replies.request(target, channel, message.body, publishProperties(message, publishOptions), {
        timeout,
        signal,
      });
    },

    ping() {
      const { connection } = need();
      if (!connection.model) {
        return Promise.reject(
          new ConnectionError(`The connection to ${parsed.display} is down; reconnecting`),
        );
      }
      return Promise.resolve();
    },
  };
}
