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
import {
  encodeEnvelope,
  type EnvelopeTarget,
  isBinaryEnvelope,
  readEnvelope,
  writeEnvelope,
} from "./_envelope.ts";

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
 * What {@linkcode decodeInto} reads a message into: the envelope's headers one at a time, then the body,
 * and whether there was an envelope.
 */
interface Target extends EnvelopeTarget {
  enveloped: boolean;
}

const EMPTY = new Uint8Array(0);

/** The headers of a message as they were written, standard fields among them. */
class WireRecord implements Target, Decoded {
  readonly headers: Record<string, string> = {};
  body: Uint8Array = EMPTY;
  enveloped = false;

  add(name: string, value: string): void {
    this.headers[name] = value;
  }
}

const wireRecord = (): WireRecord => new WireRecord();

/**
 * Reads any of the accepted formats; unknown bytes are a plain payload. Throws a `DecodeError` naming the
 * fault for bytes that start like a binary envelope (identity and version 1) whose extents do not fit. The
 * body is a plain `Uint8Array` (a view of `bytes` where it can be) even when `bytes` is a Node `Buffer`.
 */
export function decodeBytes(bytes: Uint8Array): Decoded {
  return decodeInto(bytes, wireRecord);
}

/**
 * {@linkcode decodeBytes} into a target made by `target`: the driver reads straight into a message's fields,
 * without a record of the headers and a decoded pair made for each message and copied out of again.
 */
function decodeInto<T extends Target>(bytes: Uint8Array, target: () => T): T {
  if (isBinaryEnvelope(bytes)) {
    const read = readEnvelope(bytes, target);
    read.enveloped = true;
    return read;
  }
  // FastStream's legacy JSON envelope: exactly {"data": string, "headers": object}.
  if (bytes.length > 1 && bytes[0] === 0x7b) {
    try {
      const parsed = JSON.parse(decoder.decode(bytes));
      if (
        parsed && typeof parsed === "object" && typeof parsed.data === "string" &&
        parsed.headers && typeof parsed.headers === "object" && Object.keys(parsed).length === 2
      ) {
        const read = target();
        for (const [k, v] of Object.entries(parsed.headers)) read.add(k, String(v));
        read.body = encoder.encode(parsed.data);
        read.enveloped = true;
        return read;
      }
    } catch {
      // Plain JSON or text.
    }
  }
  const read = target();
  read.body = plain(bytes);
  return read;
}

/** The same bytes as a plain `Uint8Array`: a `Buffer`'s `slice`, `toString` and equality differ from it. */
function plain(bytes: Uint8Array): Uint8Array {
  return bytes.constructor === Uint8Array
    ? bytes
    : new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.length);
}

/**
 * The standard fields and user headers of a received message, ready for an IncomingMessage: the headers
 * are sorted into them as the envelope is read.
 */
export class Fields extends WireFields implements Target {
  body: Uint8Array = EMPTY;
  /** Deliveries counted in the envelope by earlier `nack()`s (lists). */
  deliveries = 0;
  enveloped = false;
  /** Why the bytes could not be read; `body` then holds them as they arrived, and there are no headers. */
  error: DecodeError | undefined = undefined;

  override add(name: string, value: string): void {
    if (name === DELIVERY_HEADER) this.deliveries = Number(value) || 0;
    else super.add(name, value);
  }
}

const fields = (): Fields => new Fields();

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
  try {
    return decodeInto(bytes, fields);
  } catch (error) {
    if (!(error instanceof DecodeError)) throw error;
    const unread = new Fields();
    unread.body = plain(bytes);
    unread.error = error;
    return unread;
  }
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
