/**
 * How a RabbitMQ broker appears in the generated AsyncAPI document: AMQP bindings 0.3.0 — the exchange a
 * channel's routing key goes through (or the queue, on the default exchange), the queue a subscriber consumes
 * (as `x-queue`, the binding having no field for it beside an exchange), and a publish's delivery mode,
 * priority, expiration and type. Planned as the driver plans its subscriptions; never the credentials.
 *
 * @module
 */

import type { DocsBindings, DocsEndpoint, DriverDocs } from "@sluice/core";
import type { RabbitmqOptions, RabbitmqPublishOptions, RabbitmqSubscribeOptions } from "./options.ts";
import { rabbitmqRules } from "./rules.ts";
import {
  BUILT_IN_EXCHANGES,
  type ExchangeDeclaration,
  planSubscription,
  type QueueDeclaration,
  type SubscriptionPlan,
} from "./_topology.ts";

const VERSION = "0.3.0";

type Endpoint = DocsEndpoint<RabbitmqSubscribeOptions, RabbitmqPublishOptions>;

function exchangeBinding(exchange: ExchangeDeclaration, vhost: string): Record<string, unknown> {
  return {
    name: exchange.name,
    type: exchange.type,
    durable: exchange.durable,
    autoDelete: exchange.autoDelete,
    vhost,
  };
}

function queueBinding(queue: QueueDeclaration, vhost: string): Record<string, unknown> {
  return {
    ...(queue.name ? { name: queue.name } : {}),
    durable: queue.durable,
    exclusive: queue.exclusive,
    autoDelete: queue.autoDelete,
    vhost,
  };
}

/** The AsyncAPI description of a RabbitMQ broker made with `options`; the driver carries it as `docs`. */
export function rabbitmqDocs(
  options: RabbitmqOptions,
): DriverDocs<RabbitmqSubscribeOptions, RabbitmqPublishOptions> {
  const defaults = { exchange: options.exchange ?? "amq.topic", passive: options.passive ?? false };
  const path = new URL(options.url ?? "amqp://localhost").pathname.slice(1);
  const vhost = path ? decodeURIComponent(path) : "/";
  const declared = new Map((options.declare?.exchanges ?? []).map((e) => [e.name, e]));
  const plan = (endpoint: Extract<Endpoint, { action: "receive" }>): SubscriptionPlan =>
    planSubscription({
      channel: rabbitmqRules.pattern(endpoint.channel),
      template: endpoint.channel,
      ...(endpoint.group !== undefined ? { group: endpoint.group } : {}),
      prefetch: 1,
      options: endpoint.options,
    }, defaults);

  return {
    protocolVersion: "0.9.1",
    channel(endpoint): DocsBindings {
      if (endpoint.action === "receive") {
        const { exchange, queue } = plan(endpoint);
        return {
          amqp: exchange
            ? { is: "routingKey", exchange: exchangeBinding(exchange, vhost), bindingVersion: VERSION }
            : { is: "queue", queue: queueBinding(queue, vhost), bindingVersion: VERSION },
        };
      }
      const name = endpoint.options.exchange ?? defaults.exchange;
      if (name === "") {
        return { amqp: { is: "queue", queue: { name: endpoint.channel, vhost }, bindingVersion: VERSION } };
      }
      // What the app says of the exchange: its type when it is built in or declared, else only its name.
      const type = BUILT_IN_EXCHANGES.get(name) ?? declared.get(name)?.type ??
        (name === defaults.exchange ? "topic" : undefined);
      return {
        amqp: {
          is: "routingKey",
          exchange: { name, ...(type !== undefined ? { type } : {}), vhost },
          bindingVersion: VERSION,
        },
      };
    },
    operation(endpoint): DocsBindings {
      if (endpoint.action === "receive") {
        const { exchange, queue } = plan(endpoint);
        return {
          amqp: {
            ...(exchange ? { "x-queue": queueBinding(queue, vhost) } : {}),
            ack: true,
            bindingVersion: VERSION,
          },
        };
      }
      const o = endpoint.options;
      return {
        amqp: {
          deliveryMode: o.persistent === false ? 1 : 2,
          ...(o.priority !== undefined ? { priority: o.priority } : {}),
          ...(o.expiration !== undefined ? { expiration: o.expiration } : {}),
          ...(o.mandatory !== undefined ? { mandatory: o.mandatory } : {}),
          timestamp: true,
          bindingVersion: VERSION,
        },
      };
    },
    message(endpoint): DocsBindings {
      const type = endpoint.action === "send" ? endpoint.options.type : undefined;
      return type === undefined ? {} : { amqp: { messageType: type, bindingVersion: VERSION } };
    },
  };
}
