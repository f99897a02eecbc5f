/**
 * Broker-specific attributes of a consumed message, read from the client library's own message
 * (`ctx.message.native`) by its shape, so that the middleware imports no plugin: Kafka's partition and
 * offset, RabbitMQ's delivery tag and exchange — what FastStream's middleware puts on its process spans.
 *
 * @module
 */

import type { Span } from "@opentelemetry/api";
import {
  LEGACY_MESSAGING_DESTINATION_PUBLISH_NAME,
  MESSAGING_KAFKA_DESTINATION_PARTITION,
  MESSAGING_KAFKA_MESSAGE_OFFSET,
  MESSAGING_RABBITMQ_DELIVERY_TAG,
} from "./attributes.ts";

/** A Kafka record as the plugin hands it over (kafkajs' offset is a string, the emulation's a number). */
interface KafkaNative {
  readonly partition?: unknown;
  readonly offset?: unknown;
}

/** An amqplib message (`fields`), or the emulation's `{ exchange, routingKey }`. */
interface RabbitNative {
  readonly fields?: { readonly exchange?: unknown; readonly deliveryTag?: unknown };
  readonly exchange?: unknown;
}

function integer(value: unknown): number | undefined {
  const number = typeof value === "string" ? Number(value) : value;
  return typeof number === "number" && Number.isSafeInteger(number) ? number : undefined;
}

/** Sets the attributes `native` gives for `system` on a recording `span`. */
export function setNativeAttributes(span: Span, system: string, native: unknown): void {
  if (native === null || typeof native !== "object") return;
  if (system === "kafka") {
    const record = native as KafkaNative;
    const partition = integer(record.partition);
    if (partition !== undefined) span.setAttribute(MESSAGING_KAFKA_DESTINATION_PARTITION, partition);
    const offset = integer(record.offset);
    if (offset !== undefined) span.setAttribute(MESSAGING_KAFKA_MESSAGE_OFFSET, offset);
  } else if (system === "rabbitmq") {
    const message = native as RabbitNative;
    const exchange = message.fields ? message.fields.exchange : message.exchange;
    // FastStream names the exchange the message was published to here ("" for the default exchange).
    if (typeof exchange === "string") span.setAttribute(LEGACY_MESSAGING_DESTINATION_PUBLISH_NAME, exchange);
    const tag = integer(message.fields?.deliveryTag);
    if (tag !== undefined) span.setAttribute(MESSAGING_RABBITMQ_DELIVERY_TAG, tag);
  }
}
