/**
 * A consumed message's body as its handler gets it: decoded by its content type's codec within the size bound,
 * then checked by the subscriber's schema.
 *
 * @module
 */

import type { Codecs } from "./codec.ts";
import { MessageTooLargeError } from "./errors.ts";
import type { ConsumedMessage } from "./message.ts";
import { type StandardSchemaV1, validateNow } from "./schema.ts";

/** The message's decoded body; throws the driver's error for an unreadable message, or one for a large body. */
export function decodeBody(
  message: ConsumedMessage,
  codecs: Codecs,
  maxBodySize: number | undefined,
): unknown {
  const unreadable = message.incoming.decodeError;
  if (unreadable) throw unreadable;
  if (maxBodySize !== undefined && message.raw.length > maxBodySize) {
    throw new MessageTooLargeError(
      `Message ${message.messageId} has ${message.raw.length} bytes, more than maxBodySize ${maxBodySize}`,
    );
  }
  return codecs.decode(message.raw, message.contentType);
}

/** The decoded body, validated by the subscriber's schema: a promise only if the schema returned one. */
export function checkBody(message: ConsumedMessage, schema: StandardSchemaV1): unknown {
  return validateNow(schema, message.body, `Message ${message.messageId} on ${message.channel}`);
}
