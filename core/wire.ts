/**
 * The wire conventions Sluice shares with Python FastStream, so services in both languages talk over one
 * broker: the standard fields travel as these headers where the protocol has no native property.
 *
 * @module
 */

import type { OutgoingMessage } from "./driver.ts";

/** Header names of the standard fields. */
export const WIRE = {
  contentType: "content-type",
  correlationId: "correlation_id",
  replyTo: "reply_to",
  messageId: "message_id",
} as const;

/** The header a failed responder sets on its reply, and a dead-lettered message carries. */
export const ERROR_HEADER = "x-sluice-error";

/** User headers plus the standard fields as FastStream's headers. */
export function toWireHeaders(message: OutgoingMessage): Record<string, string> {
  const headers: Record<string, string> = { ...message.headers };
  if (message.contentType) headers[WIRE.contentType] = message.contentType;
  if (message.correlationId) headers[WIRE.correlationId] = message.correlationId;
  if (message.replyTo) headers[WIRE.replyTo] = message.replyTo;
  if (message.messageId) headers[WIRE.messageId] = message.messageId;
  return headers;
}

/**
 * User headers and the standard fields, gathered one header at a time. Drivers whose client hands headers
 * over in its own shape (arrays of values, bytes) feed it directly, in one pass, instead of building a record
 * for {@linkcode fromWireHeaders} first.
 */
export class WireFields {
  /** User headers: every header that is not a standard field. */
  readonly headers: Record<string, string> = {};
  /** The `content-type` header; an empty one means none. */
  contentType: string | undefined;
  /** The `correlation_id` header. */
  correlationId: string | undefined;
  /** The `reply_to` header; an empty one means none. */
  replyTo: string | undefined;
  /** The `message_id` header. */
  messageId: string | undefined;

  /**
   * Takes one header; standard names match case-insensitively, and a later value replaces an earlier one.
   * Names as FastStream and Sluice write them match as they are; only other names of a standard one's
   * length are lower-cased and compared again (lower-casing every standard name of every message was 5% of
   * a Redis Pub/Sub consumer's profile under Bun).
   */
  add(name: string, value: string): void {
    if (this.#standard(name, value)) return;
    if (standardLength(name) && this.#standard(name.toLowerCase(), value)) return;
    this.headers[name] = value;
  }

  /** Sets the standard field a lower-case name stands for; false if it stands for none. */
  #standard(name: string, value: string): boolean {
    switch (name) {
      case WIRE.contentType:
        // FastStream sends `content-type: ""` with bytes on NATS and Kafka: no content type.
        this.contentType = value || undefined;
        return true;
      case WIRE.correlationId:
        this.correlationId = value;
        return true;
      case WIRE.replyTo:
        this.replyTo = value || undefined;
        return true;
      case WIRE.messageId:
        this.messageId = value;
        return true;
      default:
        return false;
    }
  }
}

/**
 * Whether a name is as long as a standard one (8 to 14 characters, even): only those are lower-cased to be
 * matched, since lower-casing every header name of every message showed in consumers' profiles.
 */
function standardLength(name: string): boolean {
  const length = name.length;
  return length >= 8 && length <= 14 && length % 2 === 0;
}

/** Splits wire headers into user headers and the standard fields. */
export function fromWireHeaders(wire: Readonly<Record<string, string>>): WireFields {
  const fields = new WireFields();
  for (const name in wire) fields.add(name, wire[name]!);
  return fields;
}
