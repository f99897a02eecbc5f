/**
 * Mapping between Kafka records (kafkajs) and the core's messages. Standard fields travel as FastStream's
 * headers (`content-type`, `correlation_id`, `reply_to`, `message_id`); an empty body without a content
 * type is a tombstone (a null value) both ways.
 *
 * @module
 */

import { Buffer } from "node:buffer";
import { type OutgoingMessage, SluiceError } from "@sluice/core";
import { toWireHeaders, WireFields } from "@sluice/core/kit";
import type { KafkaPublishOptions } from "./options.ts";

/** A record as kafkajs produces it. */
export interface KafkaRecord {
  key?: Buffer | string | null;
  value: Buffer | null;
  partition?: number;
  headers?: Record<string, string>;
  timestamp?: string;
}

/** A record as kafkajs hands it to a consumer (the fields Sluice reads). */
export interface KafkaConsumedRecord {
  readonly key: Uint8Array | null;
  readonly value: Uint8Array | null;
  readonly offset: string;
  readonly timestamp: string;
  readonly headers?: Readonly<Record<string, unknown>>;
}

/** What the core's message carries that a Kafka record does not have natively. */
export interface DecodedRecord {
  readonly body: Uint8Array;
  readonly headers: Record<string, string>;
  readonly contentType?: string;
  readonly correlationId?: string;
  readonly replyTo?: string;
  readonly messageId?: string;
  readonly key?: string;
}

const EMPTY = new Uint8Array(0);
const decoder = new TextDecoder();
const SHORT = 8;

/**
 * UTF-8 text of bytes (header values, keys): up to {@linkcode SHORT} ASCII bytes decoded in JS, longer ones by a
 * TextDecoder. A string built a character at a time is cheap to make, but the engine flattens it when it is
 * compared or looked up, as every header value is; then, against the decoder, 16 characters (a content type)
 * cost 1.5–3 times as much and 36 (a correlation id) 2.5–5 times, while up to 8 the JS loop is 40–100 ns
 * cheaper under Deno and Node 24 and 40–70 ns dearer under Bun (scratch loops of 2,000,000 decodes, each
 * looked up in a Map).
 */
function text(value: Uint8Array): string {
  const length = value.length;
  if (length > SHORT) return decoder.decode(value);
  let out = "";
  for (let i = 0; i < length; i++) {
    const byte = value[i]!;
    if (byte > 0x7f) return decoder.decode(value);
    out += String.fromCharCode(byte);
  }
  return out;
}

function bytes(value: Uint8Array): Uint8Array {
  // kafkajs hands out Buffers that may share a larger pool: give users a plain, exact view.
  return new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
}

function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** The kafkajs record for an outgoing message and the publish's Kafka options. */
export function toRecord(message: OutgoingMessage, options: KafkaPublishOptions): KafkaRecord {
  const tombstone = message.body.length === 0 && message.contentType === undefined;
  const record: KafkaRecord = {
    // kafkajs encodes only Buffers (and strings) correctly: wrap the bytes without copying.
    value: tombstone ? null : asBuffer(message.body),
    headers: toWireHeaders(message),
  };
  if (options.key !== undefined) {
    record.key = typeof options.key === "string" ? options.key : asBuffer(options.key);
  }
  if (options.partition !== undefined) record.partition = options.partition;
  if (options.timestamp !== undefined) {
    record.timestamp = String(
      options.timestamp instanceof Date ? options.timestamp.getTime() : options.timestamp,
    );
  }
  return record;
}

/** The core's view of a consumed record. */
export function fromRecord(record: KafkaConsumedRecord): DecodedRecord {
  const fields = new WireFields();
  const wire = record.headers;
  if (wire) {
    for (const name in wire) {
      const value = wire[name];
      if (value === undefined || value === null) continue;
      // A header may repeat (kafkajs gives an array): the last value wins, as FastStream reads it.
      const last = Array.isArray(value) ? value[value.length - 1] : value;
      fields.add(name, typeof last === "string" ? last : text(last as Uint8Array));
    }
  }
  return {
    body: record.value ? bytes(record.value) : EMPTY,
    headers: fields.headers,
    contentType: fields.contentType,
    correlationId: fields.correlationId,
    replyTo: fields.replyTo,
    messageId: fields.messageId,
    key: record.key ? text(record.key) : undefined,
  };
}

/** The bytes of a record's value and headers (names and values), as the broker counts them against its limit. */
export function recordBytes(message: OutgoingMessage): number {
  const encoder = new TextEncoder();
  let bytes = message.body.length;
  for (const [name, value] of Object.entries(message.headers ?? {})) {
    bytes += encoder.encode(name).length + encoder.encode(value).length;
  }
  return bytes;
}

/** Kafka's default `message.max.bytes`: the largest record batch a broker accepts unless configured. */
export const MAX_MESSAGE_BYTES = 1_048_588;

/** The error for a record the broker refuses as too large, naming the topic and the way out. */
export function tooLarge(
  channel: string,
  bytes: number | undefined,
  cause?: unknown,
  messageId?: string,
): SluiceError {
  return new SluiceError(
    `Cannot publish ${messageId === undefined ? "" : `message ${messageId} `}to ${channel}: the record${
      bytes === undefined ? "" : ` (${bytes} bytes)`
    } is larger than ` +
      "the broker accepts (message.max.bytes, 1 MiB by default): raise the topic's max.message.bytes or send less",
    { cause },
  );
}
