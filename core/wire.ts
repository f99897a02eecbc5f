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

/** Splits wire headers into user headers and the standard fields. */
export function fromWireHeaders(wire: Readonly<Record<string, string>>): {
  headers: Record<string, string>;
  contentType?: string;
  correlationId?: string;
  replyTo?: string;
  messageId?: string;
} {
  const headers: Record<string, string> = {};
  let contentType: string | undefined;
  let correlationId: string | undefined;
  let replyTo: string | undefined;
  let messageId: string | undefined;
  for (const [name, value] of Object.entries(wire)) {
    switch (name.toLowerCase()) {
      case WIRE.contentType:
        contentType = value;
        break;
      case WIRE.correlationId:
        correlationId = value;
        break;
      case WIRE.replyTo:
        replyTo = value || undefined;
        break;
      case WIRE.messageId:
        messageId = value;
        break;
      default:
        headers[name] = value;
    }
  }
  return { headers, contentType, correlationId, replyTo, messageId };
}
