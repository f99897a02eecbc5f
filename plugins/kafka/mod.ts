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

import { Broker, type BrokerOptions, type Plugin } from "@sluice/core";
import { type KafkaDriver, kafkaDriver } from "./driver.ts";
import { type KafkaOptions, parseKafkaOptions, urlOptions } from "./options.ts";

export type { KafkaDriver } from "./driver.ts";
export { type EmulatedRecord, type KafkaEmulation, kafkaEmulation } from "./emulation.ts";
export type {
  KafkaConsumerOptions,
  KafkaOptions,
  KafkaPublishOptions,
  KafkaSaslOptions,
  KafkaSubscribeOptions,
  KafkaTlsOptions,
  KafkaTopicOptions,
} from "./options.ts";
export { murmur2, partitionForKey } from "./_partitioner.ts";
export { kafkaRules } from "./rules.ts";

/**
 * Creates a Kafka broker. Options are validated at once: a bad one throws an `OptionError` naming it.
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
export function kafka(options: KafkaOptions & BrokerOptions = {}): Broker<KafkaDriver> {
  const parsed = parseKafkaOptions(options as Record<string, unknown>);
  return new Broker(kafkaDriver(parsed), options);
}

/** The `kafka:` plugin, for `connect("kafka://localhost:9092")`. */
export const plugin: Plugin = {
  schemes: ["kafka"],
  create: (url, options, source) =>
    kafka({ ...urlOptions(source ?? url), ...options } as KafkaOptions & BrokerOptions),
};
