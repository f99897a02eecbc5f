/**
 * Mapping between MQTT PUBLISH packets and the core's messages. On MQTT 5 the standard fields travel as native
 * properties, as FastStream's MQTT broker sends them: Content Type, Response Topic (`reply_to`), Correlation
 * Data (the correlation id as UTF-8 bytes) and User Properties (headers, plus `message_id`). MQTT 3.1.1 has no
 * properties: only the body travels, and what cannot be carried is refused with a clear error.
 *
 * @module
 */

import { Buffer } from "node:buffer";
import { NotSupportedError, type OutgoingMessage } from "@sluice/core";
import { mediaType, WIRE, WireFields } from "@sluice/core/kit";
import type { MqttPublishOptions } from "./options.ts";

/** The MQTT 5 properties of a PUBLISH packet that Sluice reads and writes. */
export interface PublishProperties {
  contentType?: string;
  responseTopic?: string;
  correlationData?: Uint8Array;
  userProperties?: Record<string, string | string[]>;
  messageExpiryInterval?: number;
}

/** A message as it arrives from MQTT.js (or from the emulation): the PUBLISH packet's parts. */
export interface MqttPacket {
  readonly topic: string;
  readonly payload: Uint8Array;
  readonly qos: 0 | 1 | 2;
  readonly retain: boolean;
  readonly dup: boolean;
  readonly messageId?: number;
  readonly properties?: PublishProperties;
}

/** The standard fields of an incoming message, read from a packet. */
export interface DecodedFields {
  readonly headers: Record<string, string>;
  readonly contentType?: string;
  readonly correlationId?: string;
  readonly replyTo?: string;
  readonly messageId?: string;
}

const utf8 = new TextDecoder();
const strictUtf8 = new TextDecoder("utf-8", { fatal: true });

/** Content types a 3.1.1 receiver infers from the bytes, so they need not travel. */
const INFERRED = new Set(["application/json", "text/plain", "application/octet-stream"]);

/**
 * The PUBLISH properties of an outgoing message on MQTT 5. The correlation data is a `Buffer`, as MQTT.js
 * wants it: made from the string, it comes from Node's buffer pool, where `TextEncoder` allocates a new
 * `ArrayBuffer` per message (the publish path showed it in V8's profiles, and wrapping it in Bun's).
 */
export function toProperties(message: OutgoingMessage, options: MqttPublishOptions): PublishProperties {
  const properties: PublishProperties = {};
  if (message.contentType) properties.contentType = message.contentType;
  if (message.replyTo) properties.responseTopic = message.replyTo;
  if (message.correlationId) properties.correlationData = Buffer.from(message.correlationId, "utf8");
  let user: Record<string, string> | undefined;
  const headers = message.headers;
  for (const name in headers) {
    user ??= {};
    user[name] = headers[name]!;
  }
  if (message.messageId) (user ??= {})[WIRE.messageId] = message.messageId;
  if (user) properties.userProperties = user;
  if (options.messageExpiry !== undefined) properties.messageExpiryInterval = options.messageExpiry;
  return properties;
}

/**
 * Checks that MQTT 3.1.1 can carry a message: it has no headers, no reply topic and no content type. The
 * correlation and message ids the core generates are dropped; JSON, text and bytes are told apart on arrival.
 */
export function assertCarriableOn311(
  channel: string,
  message: OutgoingMessage,
  options: MqttPublishOptions,
): void {
  const fail = (what: string): never => {
    throw new NotSupportedError(
      `Cannot publish to ${channel} with ${what}: MQTT 3.1.1 carries only the body. Use protocol: "5" on the broker`,
    );
  };
  const headers = Object.keys(message.headers);
  if (headers.length > 0) fail(`headers (${headers.join(", ")})`);
  if (message.replyTo) fail(`a reply topic (request/reply needs MQTT 5's Response Topic)`);
  if (message.contentType && !INFERRED.has(mediaType(message.contentType))) {
    fail(`content type ${message.contentType} (only JSON, text and bytes are told apart on arrival)`);
  }
  if (options.messageExpiry !== undefined) fail("messageExpiry");
}

/** Reads the standard fields of an MQTT 5 packet; headers are its user properties. */
export function fromProperties(properties: PublishProperties | undefined): DecodedFields {
  // One pass over the user properties, with no record in between (the consumer's profile showed it).
  const wire = new WireFields();
  const user = properties?.userProperties;
  for (const name in user) {
    const value = user[name]!;
    wire.add(name, Array.isArray(value) ? value.join(", ") : value);
  }
  const data = properties?.correlationData;
  return {
    headers: wire.headers,
    // An empty Content Type property says nothing, like a missing one.
    contentType: properties?.contentType || wire.contentType,
    correlationId: data && data.length > 0 ? utf8.decode(data) : wire.correlationId,
    replyTo: properties?.responseTopic || wire.replyTo,
    messageId: wire.messageId,
  };
}

/**
 * The content type of a 3.1.1 body, which does not say: JSON if it parses, else text if it is UTF-8, else
 * bytes — the order FastStream's MQTT 3.1.1 parser tries.
 */
export function inferContentType(body: Uint8Array): string | undefined {
  if (body.length === 0) return undefined;
  let text: string;
  try {
    text = strictUtf8.decode(body);
  } catch {
    return "application/octet-stream";
  }
  try {
    JSON.parse(text);
    return "application/json";
  } catch {
    return "text/plain";
  }
}
