/**
 * `@sluice/rabbitmq`: RabbitMQ for Sluice, on amqplib. Channels are topic routing keys on `amq.topic` by
 * default (so groups, fan-out and `{param}` wildcards work out of the box); exchanges of every type, queues
 * of every type, bindings, publisher confirms, direct reply-to requests and reconnection are built in, and
 * `testBroker()` runs it all in a faithful in-memory emulation.
 *
 * @example
 * ```ts
 * import { rabbitmq } from "@sluice/rabbitmq";
 * const broker = rabbitmq({ url: "amqp://guest:guest@localhost:5672" });
 * broker.subscriber("logs.{level}", { group: "log-writer" }).handle((line, ctx) => {
 *   console.log(ctx.path.level, line);
 * });
 * ```
 *
 * @module
 */

import { type HandlerResponse, type PublishOptions, response } from "@sluice/core";
import type { RabbitmqPublishOptions as RabbitmqPublishOptionsOfResponse } from "./options.ts";
import { Broker } from "@sluice/core";
import type { Plugin } from "@sluice/core";
import { type RabbitmqDriver, rabbitmqDriver } from "./driver.ts";
import { rabbitmqEmulation } from "./emulation.ts";
import { optionsFromUrl, type RabbitmqOptions } from "./options.ts";

export { type RabbitmqDriver, rabbitmqDriver } from "./driver.ts";
export { type RabbitmqEmulation, rabbitmqEmulation } from "./emulation.ts";
export { headersMatch } from "./_exchanges.ts";
export { features, rabbitmqRules, topicMatches } from "./rules.ts";
export { MessageTooLargeError, TopologyError, UnroutableError } from "./_topology.ts";
export {
  type BindingOptions,
  brokerOptions,
  type ExchangeOptions,
  type ExchangeType,
  optionsFromUrl,
  publishOptions,
  type QueueOptions,
  type QueueType,
  type RabbitmqOptions,
  type RabbitmqPublishOptions,
  type RabbitmqSubscribeOptions,
  type ReconnectOptions,
  subscribeOptions,
  type TlsOptions,
  type Topology,
} from "./options.ts";

/**
 * Creates a RabbitMQ broker. Options are checked at once; call `start()` (or `App`) to connect.
 *
 * @example
 * ```ts
 * import { rabbitmq } from "@sluice/rabbitmq";
 * const broker = rabbitmq({
 *   url: "amqps://app@rabbit.example.com/prod",
 *   password: "from-a-secret-store",
 *   declare: { exchanges: [{ name: "orders", type: "direct" }] },
 * });
 * broker.subscriber("created", { exchange: "orders", group: "billing" }).handle((order) => order);
 * ```
 */
export function rabbitmq(options: RabbitmqOptions = {}): Broker<RabbitmqDriver> {
  return new Broker(rabbitmqDriver(options), options, () => rabbitmqEmulation(options));
}

/** The plugin for `connect("amqp://…")` and `connect("amqps://…")`. */
export const plugin: Plugin = {
  schemes: ["amqp", "amqps"],
  create: (url, options) => rabbitmq({ ...options, ...optionsFromUrl(url) }),
};

/**
 * A handler's response with Rabbitmq publish options (an exchange, priority, expiration or persistence) for its reply and published result,
 * as FastStream's `RabbitResponse` does.
 *
 * @example
 * ```ts
 * import { rabbitmqResponse } from "@sluice/rabbitmq";
 * const handler = (order: { id: string }) => rabbitmqResponse(order, { headers: { "x-source": "orders" } });
 * ```
 */
export function rabbitmqResponse<Body>(
  body: Body,
  options: PublishOptions & RabbitmqPublishOptionsOfResponse = {},
): HandlerResponse<Body, RabbitmqPublishOptionsOfResponse> {
  return response(body, options);
}
