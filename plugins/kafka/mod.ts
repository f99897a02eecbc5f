/**
 * `@sluice/kafka`: Apache Kafka for Sluice, on kafkajs. Subscribers on a topic, a list of topics or a topic
 * pattern (`logs.{level}`), consumer groups, at-least-once commits, batches, request/reply over a reply
 * topic, keys, partitions, headers, compression, SASL and TLS — and a faithful in-memory emulation for tests.
 *
 * @example
 * ```ts
 * import { kafka } from "@sluice/kafka";
 * const broker = kafka({ brokers: ["localhost:9092"] });
 * broker.subscriber("orders", { group: "billing" }).handle((order) => console.log(order));
 * await broker.start();
 * ```
 *
 * @module
 */

import { type HandlerResponse, type PublishOptions, response } from "@sluice/core";
import type { KafkaPublishOptions as KafkaPublishOptionsOfResponse } from "./options.ts";
import { Broker, type Plugin } from "@sluice/core";
import { type KafkaDriver, kafkaDriver } from "./driver.ts";
import { kafkaEmulation } from "./emulation.ts";
import { type KafkaOptions, optionsFromUrl } from "./options.ts";

export { type KafkaDriver, kafkaDriver } from "./driver.ts";
export { type EmulatedRecord, type KafkaEmulation, kafkaEmulation } from "./emulation.ts";
export {
  brokerOptions,
  type KafkaConsumerOptions,
  type KafkaOptions,
  type KafkaPublishOptions,
  type KafkaSaslOptions,
  type KafkaSubscribeOptions,
  type KafkaTlsOptions,
  type KafkaTopicOptions,
  optionsFromUrl,
  publishOptions,
  subscribeOptions,
} from "./options.ts";
export { murmur2, partitionForKey } from "./_partitioner.ts";
export { features, kafkaRules } from "./rules.ts";

/**
 * Creates a Kafka broker (not connected). Options are checked at once: a bad or unknown one throws an
 * `OptionError` naming it. `testBroker()` runs it on a fresh {@linkcode kafkaEmulation} of the same options.
 *
 * @example
 * ```ts
 * import { kafka } from "@sluice/kafka";
 * const broker = kafka({
 *   brokers: ["kafka-1:9093"],
 *   ssl: true,
 *   sasl: { mechanism: "scram-sha-512", username: "app", password: Deno.env.get("KAFKA_PASSWORD")! },
 * });
 * ```
 */
export function kafka(options: KafkaOptions = {}): Broker<KafkaDriver> {
  return new Broker(kafkaDriver(options), options, () => kafkaEmulation(options));
}

/** The `kafka:` plugin, for `connect("kafka://localhost:9092")`. */
export const plugin: Plugin = {
  schemes: ["kafka"],
  create: (url, options, source) => kafka({ ...optionsFromUrl(source ?? url), ...options } as KafkaOptions),
};

/**
 * A handler's response with Kafka publish options (a Kafka key, partition or timestamp) for its reply and published result,
 * as FastStream's `KafkaResponse` does.
 *
 * @example
 * ```ts
 * import { kafkaResponse } from "@sluice/kafka";
 * const handler = (order: { id: string }) => kafkaResponse(order, { headers: { "x-source": "orders" } });
 * ```
 */
export function kafkaResponse<Body>(
  body: Body,
  options: PublishOptions & KafkaPublishOptionsOfResponse = {},
): HandlerResponse<Body, KafkaPublishOptionsOfResponse> {
  return response(body, options);
}
