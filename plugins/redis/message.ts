/**
 * The bytes a Redis message carries. By default Sluice writes FastStream's binary envelope (version 1, see
 * `_envelope.ts`), so headers, the content type, the correlation id and reply-to travel with the body, and a
 * Python FastStream service reads it unchanged.
 *
 * Reading, anything else is accepted too: FastStream's older JSON envelope (`{"data": "...", "headers":
 * {...}}`) and plain payloads from producers that use no envelope (raw bytes, JSON, text), which arrive
 * without headers and are decoded by content sniffing (JSON, else bytes). Bytes that start like a binary
 * envelope but do not hold one are not guessed at: the subscriber's error policy gets a `DecodeError`.
 *
 * @module
 */

import { Buffer } from "node:buffer";
import { DecodeError, type IncomingMessage, type OutgoingMessage } from "@sluice/core";
import { toWireHeaders, WireFields } from "@sluice/core/kit";
import { encodeEnvelope, isBinaryEnvelope, readEnvelope, writeEnvelope } from "./_envelope.ts";

export { encodeEnvelope, IDENTITY } from "./_envelope.ts";

/** The field under which FastStream (and Sluice) store a message in a stream entry. */
export const STREAM_FIELD = "__data__";

/** The header that counts deliveries of a list message returned with `nack()`; never shown to handlers. */
export const DELIVERY_HEADER = "x-sluice-delivery";

/** How messages are written: FastStream's binary envelope, or the body alone (headers are lost). */
export type Envelope = "binary" | "none";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Encodes a message into FastStream's binary envelope (or its bare body with `envelope: "none"`). */
export function encodeMessage(message: OutgoingMessage, envelope: Envelope = "binary"): Uint8Array {
  if (envelope === "none") return message.body;
  return encodeEnvelope(wireHeaders(message), message.body);
}

/** {@linkcode encodeMessage} as the Buffer ioredis sends. */
export function encodeForClient(message: OutgoingMessage, envelope: Envelope): Buffer {
  const body = message.body;
  // _client.ts's buffer() does this too, but importing it here would close an import circle (through options.ts).
  if (envelope === "none") return Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  return writeEnvelope(wireHeaders(message), body, (size) => Buffer.allocUnsafe(size));
}

function wireHeaders(message: OutgoingMessage): Record<string, string> {
  const wire = toWireHeaders(message);
  // FastStream always sends a correlation id; its parser expects one.
  wire.correlation_id ??= message.messageId ?? "";
  return wire;
}

/** A decoded message: the body and the wire headers (standard fields included). */
export interface Decoded {
  readonly body: Uint8Array;
  readonly headers: Record<string, string>;
  /** Whether the bytes were an envelope (binary or JSON) rather than a plain payload. */
  readonly enveloped: boolean;
}

/**
 * Reads any of the accepted formats; unknown bytes are a plain payload. Throws a `DecodeError` naming the
 * fault for bytes that start like a binary envelope (identity and version 1) whose extents do not fit. The
 * body is a plain `Uint8Array` (a view of `bytes` where it can be) even when `bytes` is a Node `Buffer`.
 */
export function decodeBytes(bytes: Uint8Array): Decoded {
  if (isBinaryEnvelope(bytes)) {
    const { body, headers } = readEnvelope(bytes);
    return { body, headers, enveloped: true };
  }
  // FastStream's legacy JSON envelope: exactly {"data": string, "headers": object}.
  if (bytes.length > 1 && bytes[0] === 0x7b) {
    try {
      const parsed = JSON.parse(decoder.decode(bytes));
      if (
        parsed && typeof parsed === "object" && typeof parsed.data === "string" &&
        parsed.headers && typeof parsed.headers === "object" && Object.keys(parsed).length === 2
      ) {
        const headers: Record<string, string> = {};
        for (const [k, v] of Object.entries(parsed.headers)) headers[k] = String(v);
        return { body: encoder.encode(parsed.data), headers, enveloped: true };
      }
    } catch {
      // Plain JSON or text.
    }
  }
  return { body: plain(bytes), headers: {}, enveloped: false };
}

/** The same bytes as a plain `Uint8Array`: a `Buffer`'s `slice`, `toString` and equality differ from it. */
function plain(bytes: Uint8Array): Uint8Array {
  return bytes.constructor === Uint8Array
    ? bytes
    : new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.length);
}

/** The standard fields and user headers of a received message, ready for an IncomingMessage. */
export interface Fields {
  readonly body: Uint8Array;
  readonly headers: Record<string, string>;
  readonly contentType?: string;
  readonly correlationId?: string;
  readonly messageId?: string;
  readonly replyTo?: string;
  /** Deliveries counted in the envelope by earlier `nack()`s (lists). */
  readonly deliveries: number;
  readonly enveloped: boolean;
  /** Why the bytes could not be read; `body` then holds them as they arrived, and there are no headers. */
  readonly error?: DecodeError;
}

/**
 * The fields every incoming Redis message takes from its decoded bytes; Pub/Sub and list messages extend it
 * with their native message and their settlements. A class, not an object of closures, since one is made per
 * message.
 */
export abstract class RedisIncoming implements IncomingMessage {
  readonly channel: string;
  readonly body: Uint8Array;
  readonly headers: Record<string, string>;
  readonly contentType: string | undefined;
  readonly correlationId: string | undefined;
  readonly messageId: string | undefined;
  readonly replyTo: string | undefined;
  readonly decodeError: Fields["error"];
  readonly deliveryCount: number;
  abstract readonly raw: unknown;

  constructor(channel: string, fields: Fields, deliveryCount: number) {
    this.channel = channel;
    this.body = fields.body;
    this.headers = fields.headers;
    this.contentType = fields.contentType;
    this.correlationId = fields.correlationId;
    this.messageId = fields.messageId;
    this.replyTo = fields.replyTo;
    this.decodeError = fields.error;
    this.deliveryCount = deliveryCount;
  }

  get redelivered(): boolean {
    return this.deliveryCount > 1;
  }

  abstract ack(): Promise<void>;
  abstract nack(options?: { readonly delay?: number }): Promise<void>;
  abstract reject(): Promise<void>;
}

/** Decodes bytes into the fields of an IncomingMessage; a malformed envelope gives `error`, never throws. */
export function readMessage(bytes: Uint8Array): Fields {
  let decoded: Decoded;
  try {
    decoded = decodeBytes(bytes);
  } catch (error) {
    if (!(error instanceof DecodeError)) throw error;
    return { body: plain(bytes), headers: {}, deliveries: 0, enveloped: false, error };
  }
  // One pass, without copying the headers first: this runs once per message.
  const headers = decoded.headers;
  const wire = new WireFields();
  let count: string | undefined;
  for (const name in headers) {
    if (name === DELIVERY_HEADER) count = headers[name];
    else wire.add(name, headers[name]!);
  }
  return {
    body: decoded.body,
    headers: wire.headers,
    contentType: wire.contentType,
    correlationId: wire.correlationId,
    messageId: wire.messageId,
    replyTo: wire.replyTo,
    deliveries: count === undefined ? 0 : Number(count) || 0,
    enveloped: decoded.enveloped,
  };
}

/** Re-encodes received bytes with a delivery count, for a list message returned with `nack()`. */
export function withDeliveryCount(bytes: Uint8Array, deliveries: number): Uint8Array {
  let decoded: Decoded;
  try {
    decoded = decodeBytes(bytes);
  } catch {
    // A malformed envelope has no header block to count in: it goes back as it came.
    return bytes;
  }
  if (!decoded.enveloped) return bytes;
  return encodeEnvelope({ ...decoded.headers, [DELIVERY_HEADER]: String(deliveries) }, decoded.body);
}

/** Turns a stream entry's flat field list into the message bytes: `__data__`, else the fields as JSON. */
export function streamEntryBytes(fields: readonly Uint8Array[]): { bytes: Uint8Array; plain: boolean } {
  const map: Record<string, string> = {};
  for (let i = 0; i + 1 < fields.length; i += 2) {
    const key = decoder.decode(fields[i]!);
    if (key === STREAM_FIELD) return { bytes: fields[i + 1]!, plain: false };
    map[key] = decoder.decode(fields[i + 1]!);
  }
  return { bytes: encoder.encode(JSON.stringify(map)), plain: true };
}
