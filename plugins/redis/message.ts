/**
 * The bytes a Redis message carries. By default Sluice writes FastStream's binary envelope (version 1), so
 * headers, the content type, the correlation id and reply-to travel with the body, and a Python FastStream
 * service reads it unchanged:
 *
 * ```txt
 * 8 bytes   identity  89 42 49 4E 0D 0A 1A 0A  ("\x89BIN\r\n\x1a\n")
 * uint16    version   1                          (all integers big-endian)
 * uint32    offset of the header count
 * uint32    offset of the body
 * uint16    number of headers, then for each: uint16 length + UTF-8 key, uint16 length + UTF-8 value
 * ...       the body, untouched, to the end
 * ```
 *
 * Reading, anything else is accepted too: FastStream's older JSON envelope (`{"data": "...", "headers":
 * {...}}`) and plain payloads from producers that use no envelope (raw bytes, JSON, text), which arrive
 * without headers and are decoded by content sniffing (JSON, else bytes).
 *
 * @module
 */

import type { OutgoingMessage } from "@sluice/core";
import { fromWireHeaders, toWireHeaders } from "@sluice/core/kit";

/** The first 8 bytes of a FastStream binary message. */
export const IDENTITY: Uint8Array = new Uint8Array([0x89, 0x42, 0x49, 0x4e, 0x0d, 0x0a, 0x1a, 0x0a]);

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
  const wire = toWireHeaders(message);
  // FastStream always sends a correlation id; its parser expects one.
  wire.correlation_id ??= message.messageId ?? "";
  return encodeEnvelope(wire, message.body);
}

/** Writes headers and a body into the binary envelope. */
export function encodeEnvelope(headers: Readonly<Record<string, string>>, body: Uint8Array): Uint8Array {
  const parts: Uint8Array[] = [];
  let headerBytes = 0;
  let count = 0;
  for (const [key, value] of Object.entries(headers)) {
    const k = encoder.encode(key);
    const v = encoder.encode(value);
    if (k.length > 0xffff || v.length > 0xffff) {
      throw new RangeError(`Header ${key} is longer than the 65535 bytes FastStream's envelope allows`);
    }
    parts.push(k, v);
    headerBytes += 4 + k.length + v.length;
    count++;
  }
  const headersAt = IDENTITY.length + 2 + 8;
  const bodyAt = headersAt + 2 + headerBytes;
  const out = new Uint8Array(bodyAt + body.length);
  const view = new DataView(out.buffer);
  out.set(IDENTITY, 0);
  view.setUint16(8, 1);
  view.setUint32(10, headersAt);
  view.setUint32(14, bodyAt);
  view.setUint16(headersAt, count);
  let at = headersAt + 2;
  for (const part of parts) {
    view.setUint16(at, part.length);
    out.set(part, at + 2);
    at += 2 + part.length;
  }
  out.set(body, bodyAt);
  return out;
}

/** A decoded message: the body and the wire headers (standard fields included). */
export interface Decoded {
  readonly body: Uint8Array;
  readonly headers: Record<string, string>;
  /** Whether the bytes were an envelope (binary or JSON) rather than a plain payload. */
  readonly enveloped: boolean;
}

function isBinaryEnvelope(bytes: Uint8Array): boolean {
  if (bytes.length < 18) return false;
  for (let i = 0; i < IDENTITY.length; i++) if (bytes[i] !== IDENTITY[i]) return false;
  return ((bytes[8]! << 8) | bytes[9]!) === 1;
}

/** Reads any of the accepted formats; never throws (unknown bytes are a plain payload). */
export function decodeBytes(bytes: Uint8Array): Decoded {
  if (isBinaryEnvelope(bytes)) {
    try {
      const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      const headersAt = view.getUint32(10);
      const bodyAt = view.getUint32(14);
      const count = view.getUint16(headersAt);
      let at = headersAt + 2;
      const read = (): string => {
        const length = view.getUint16(at);
        const text = decoder.decode(bytes.subarray(at + 2, at + 2 + length));
        at += 2 + length;
        return text;
      };
      const headers: Record<string, string> = {};
      for (let i = 0; i < count; i++) {
        const key = read();
        headers[key] = read();
      }
      if (bodyAt <= bytes.length) return { body: bytes.subarray(bodyAt), headers, enveloped: true };
    } catch {
      // Not a well-formed envelope after all: a plain payload.
    }
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
  return { body: bytes, headers: {}, enveloped: false };
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
}

/** Decodes bytes into the fields of an IncomingMessage. */
export function readMessage(bytes: Uint8Array): Fields {
  const decoded = decodeBytes(bytes);
  const { [DELIVERY_HEADER]: count, ...wire } = decoded.headers;
  const fields = fromWireHeaders(wire);
  return {
    ...fields,
    body: decoded.body,
    deliveries: count === undefined ? 0 : Number(count) || 0,
    enveloped: decoded.enveloped,
  };
}

/** Re-encodes received bytes with a delivery count, for a list message returned with `nack()`. */
export function withDeliveryCount(bytes: Uint8Array, deliveries: number): Uint8Array {
  const decoded = decodeBytes(bytes);
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
