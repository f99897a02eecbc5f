/**
 * How a Kafka broker appears in the generated AsyncAPI document: Kafka bindings 0.5.0 — a channel's topic
 * settings (partitions, replicas, configuration), a subscriber's group id and the client id, a publisher's
 * record key. Read from the options alone; never the SASL or TLS settings.
 *
 * @module
 */

import type { DocsBindings, DocsEndpoint, DriverDocs } from "@sluice/core";
import type {
  KafkaOptions,
  KafkaPublishOptions,
  KafkaSubscribeOptions,
  KafkaTopicOptions,
} from "./options.ts";

const VERSION = "0.5.0";

/** Topic settings the binding types as numbers, and the one it types as a list. */
const NUMERIC = new Set(["retention.ms", "retention.bytes", "delete.retention.ms", "max.message.bytes"]);

function topicBinding(topic: KafkaTopicOptions): Record<string, unknown> {
  const binding: Record<string, unknown> = {};
  if (topic.partitions !== undefined) binding.partitions = topic.partitions;
  if (topic.replicationFactor !== undefined) binding.replicas = topic.replicationFactor;
  const config = Object.entries(topic.config ?? {});
  if (config.length > 0) {
    binding.topicConfiguration = Object.fromEntries(config.map(([key, value]) => {
      if (key === "cleanup.policy") return [key, value.split(",").map((p) => p.trim())];
      if (NUMERIC.has(key) && /^-?\d+$/.test(value)) return [key, Number(value)];
      if (/^confluent\..*\.validation$/.test(key)) return [key, value === "true"];
      return [key, value];
    }));
  }
  return binding;
}

function named(value: string): { readonly type: "string"; readonly enum: readonly string[] } {
  return { type: "string", enum: [value] };
}

/** The AsyncAPI description of a Kafka broker made with `options`; the driver carries it as `docs`. */
export function kafkaDocs(options: KafkaOptions): DriverDocs<KafkaSubscribeOptions, KafkaPublishOptions> {
  const clientId = options.clientId ?? "sluice";
  return {
    protocol: options.ssl ? "kafka-secure" : "kafka",
    channel(endpoint: DocsEndpoint<KafkaSubscribeOptions, KafkaPublishOptions>): DocsBindings {
      const topic = topicBinding({ ...options.topic, ...endpoint.options.topic });
      return Object.keys(topic).length > 0 ? { kafka: { ...topic, bindingVersion: VERSION } } : {};
    },
    operation(endpoint): DocsBindings {
      const group = endpoint.action === "receive" ? endpoint.group : undefined;
      return {
        kafka: {
          ...(group !== undefined ? { groupId: named(group) } : {}),
          clientId: named(clientId),
          bindingVersion: VERSION,
        },
      };
    },
    message(endpoint): DocsBindings {
      const key = endpoint.action === "send" ? endpoint.options.key : undefined;
      if (key === undefined) return {};
      const schema = typeof key === "string" ? named(key) : { type: "string", contentEncoding: "binary" };
      return { kafka: { key: schema, bindingVersion: VERSION } };
    },
  };
}
