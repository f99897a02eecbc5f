/**
 * Mapping between Sluice messages and SQS messages. The body travels as the SQS message body (text when the
 * bytes are valid UTF-8 that SQS accepts, else base64 with the attribute `x-sluice-encoding: base64`); the
 * standard fields travel as String message attributes under FastStream's header names (`content-type`,
 * `correlation_id`, `reply_to`, `message_id`), user headers as further String attributes. SQS allows 10
 * attributes per message: when there are more, or a header's name or value is not allowed as an attribute,
 * the user headers travel together as JSON in the one attribute `x-sluice-headers`.
 *
 * @module
 */

import type { OutgoingMessage } from "@sluice/core";
import { fromWireHeaders, toWireHeaders } from "@sluice/core/kit";

/** An SQS message attribute, as the SDK shapes it. */
export interface SqsAttribute {
  DataType: string | undefined;
  StringValue?: string;
  BinaryValue?: Uint8Array;
}

/** The parts of an SQS message the plugin sends. */
export interface SqsMessageParts {
  MessageBody: string;
  MessageAttributes: Record<string, SqsAttribute>;
}

/** An SQS message as received, the fields the plugin reads. */
export interface ReceivedSqsMessage {
  MessageId?: string;
  ReceiptHandle?: string;
  Body?: string;
  Attributes?: Partial<Record<string, string>>;
  MessageAttributes?: Record<string, SqsAttribute>;
}

/** The standard fields and headers of a received message. */
export interface DecodedMessage {
  readonly body: Uint8Array;
  readonly headers: Record<string, string>;
  readonly contentType?: string;
  readonly correlationId?: string;
  readonly replyTo?: string;
  readonly messageId?: string;
  readonly key?: string;
  readonly deliveryCount?: number;
}

/** The attribute marking a base64 body. */
export const ENCODING_ATTRIBUTE = "x-sluice-encoding";
/** The attribute carrying user headers as JSON when they do not fit as attributes. */
export const HEADERS_ATTRIBUTE = "x-sluice-headers";
/** SQS's limit of message attributes per message. */
export const MAX_ATTRIBUTES = 10;
/** SQS's limit of one message (body and attributes) in bytes. */
export const MAX_MESSAGE_BYTES = 262_144;

const encoder = new TextEncoder();
const decoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
// Characters SQS accepts in a body or a String attribute.
// deno-lint-ignore no-control-regex -- these are exactly the characters SQS refuses
const DISALLOWED = /[^\x09\x0A\x0D\x20-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/u;
const ATTRIBUTE_NAME = /^(?!aws\.|amazon\.)(?!\.)(?!.*\.\.)[A-Za-z0-9_.-]{1,256}(?<!\.)$/i;

function toBase64(bytes: Uint8Array): string {
  let binary = "";
  for (let i = 0; i < bytes.length; i += 0x8000) {
    binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(binary);
}

function fromBase64(text: string): Uint8Array {
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

function asText(bytes: Uint8Array): string | undefined {
  try {
    const text = decoder.decode(bytes);
    return DISALLOWED.test(text) ? undefined : text;
  } catch {
    return undefined;
  }
}

const string = (value: string): SqsAttribute => ({ DataType: "String", StringValue: value });

const fits = (name: string, value: string): boolean =>
  value.length > 0 && ATTRIBUTE_NAME.test(name) && !DISALLOWED.test(value);

/** Turns an outgoing message into an SQS body and message attributes. */
export function toSqs(message: OutgoingMessage): SqsMessageParts {
  const standard = toWireHeaders({ ...message, headers: {} });
  const attributes: Record<string, SqsAttribute> = {};
  for (const [name, value] of Object.entries(standard)) attributes[name] = string(value);
  let body = asText(message.body);
  if (body === undefined) {
    body = toBase64(message.body);
    attributes[ENCODING_ATTRIBUTE] = string("base64");
  }
  const headers = Object.entries(message.headers);
  const room = MAX_ATTRIBUTES - Object.keys(attributes).length;
  if (
    headers.length <= room && headers.every(([name, value]) => fits(name, value) && !(name in attributes))
  ) {
    for (const [name, value] of headers) attributes[name] = string(value);
  } else if (headers.length > 0) {
    attributes[HEADERS_ATTRIBUTE] = string(JSON.stringify(message.headers));
  }
  return { MessageBody: body, MessageAttributes: attributes };
}

/** The size SQS counts for a message: body, attribute names, types and values. */
export function sqsSize(parts: SqsMessageParts): number {
  let size = encoder.encode(parts.MessageBody).length;
  for (const [name, attribute] of Object.entries(parts.MessageAttributes)) {
    size += name.length + (attribute.DataType?.length ?? 0) +
      encoder.encode(attribute.StringValue ?? "").length;
  }
  return size;
}

/** Reads the body, headers and standard fields of a received SQS message. */
export function fromSqs(message: ReceivedSqsMessage): DecodedMessage {
  const wire: Record<string, string> = {};
  let base64 = false;
  let packed: string | undefined;
  for (const [name, attribute] of Object.entries(message.MessageAttributes ?? {})) {
    const value = attribute.StringValue;
    if (value === undefined) continue;
    if (name === ENCODING_ATTRIBUTE) base64 = value === "base64";
    else if (name === HEADERS_ATTRIBUTE) packed = value;
    else wire[name] = value;
  }
  const fields = fromWireHeaders(wire);
  let headers = fields.headers;
  if (packed !== undefined) {
    try {
      headers = { ...headers, ...(JSON.parse(packed) as Record<string, string>) };
    } catch {
      headers[HEADERS_ATTRIBUTE] = packed;
    }
  }
  const text = message.Body ?? "";
  const count = Number(message.Attributes?.ApproximateReceiveCount);
  return {
    body: base64 ? fromBase64(text) : encoder.encode(text),
    headers,
    contentType: fields.contentType,
    correlationId: fields.correlationId,
    replyTo: fields.replyTo,
    messageId: fields.messageId ?? message.MessageId,
    key: message.Attributes?.MessageGroupId,
    deliveryCount: Number.isFinite(count) && count > 0 ? count : undefined,
  };
}
