/**
 * FastStream's binary envelope (version 1), written and read strictly:
 *
 * ```txt
 * 8 bytes   identity  89 42 49 4E 0D 0A 1A 0A  ("\x89BIN\r\n\x1a\n")
 * uint16    version   1                          (all integers big-endian)
 * uint32    offset of the header block
 * uint32    offset of the body
 * header block: uint16 number of headers, then for each: uint16 length + UTF-8 key, uint16 length + UTF-8 value
 * ...       the body, untouched, from its offset to the end
 * ```
 *
 * Both FastStream and Sluice write the header block right after the offsets and the body right after the
 * header block. Reading, every extent must fit: the header block inside the bytes, each key and value inside
 * the header block, the last one ending exactly where the body starts. Anything else is a
 * {@linkcode DecodeError} naming the fault, never headers read from the wrong bytes.
 *
 * @module
 */

import { Buffer } from "node:buffer";
import { DecodeError } from "@sluice/core";

/** The first 8 bytes of a FastStream binary message. */
export const IDENTITY: Uint8Array = new Uint8Array([0x89, 0x42, 0x49, 0x4e, 0x0d, 0x0a, 0x1a, 0x0a]);

/** Identity, version and the two offsets. */
const PREFIX = IDENTITY.length + 2 + 8;

const encoder = new TextEncoder();
const strict = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/**
 * Writes headers and a body into the binary envelope; header lengths count UTF-8 bytes. ASCII keys and values
 * (the standard headers, and most others) are written straight into the output, others through a TextEncoder,
 * and the integers by hand: a DataView over a new array made Bun materialise its ArrayBuffer for every message
 * (7% of a Redis publisher's profile), and an encoded array per string cost as much again.
 */
export function encodeEnvelope(headers: Readonly<Record<string, string>>, body: Uint8Array): Uint8Array {
  return writeEnvelope(headers, body, (size) => new Uint8Array(size));
}

/**
 * {@linkcode encodeEnvelope} into an array from `allocate`, which need not be zeroed: every byte is written.
 * The driver allocates Buffers, what ioredis sends as they are (a view made of a new plain array, for each
 * message, was 7% of a Redis publisher's profile under Bun).
 */
export function writeEnvelope<Bytes extends Uint8Array>(
  headers: Readonly<Record<string, string>>,
  body: Uint8Array,
  allocate: (size: number) => Bytes,
): Bytes {
  const strings: (string | Uint8Array)[] = [];
  let headerBytes = 0;
  for (const key in headers) {
    const k = asciiOrBytes(key);
    const v = asciiOrBytes(headers[key]!);
    if (k.length > 0xffff || v.length > 0xffff) {
      throw new RangeError(`Header ${key} is longer than the 65535 bytes FastStream's envelope allows`);
    }
    strings.push(k, v);
    headerBytes += 4 + k.length + v.length;
  }
  const headersAt = PREFIX;
  const bodyAt = headersAt + 2 + headerBytes;
  const out = allocate(bodyAt + body.length);
  out.set(IDENTITY, 0);
  setUint16(out, 8, 1);
  setUint32(out, 10, headersAt);
  setUint32(out, 14, bodyAt);
  setUint16(out, headersAt, strings.length / 2);
  let at = headersAt + 2;
  for (const string of strings) {
    const length = string.length;
    setUint16(out, at, length);
    at += 2;
    if (typeof string !== "string") out.set(string, at);
    else for (let i = 0; i < length; i++) out[at + i] = string.charCodeAt(i);
    at += length;
  }
  out.set(body, bodyAt);
  return out;
}

/** The string itself when it is ASCII (its length is its UTF-8 length), else its UTF-8 bytes. */
function asciiOrBytes(text: string): string | Uint8Array {
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) >= 0x80) return encoder.encode(text);
  return text;
}

function setUint16(bytes: Uint8Array, at: number, value: number): void {
  bytes[at] = value >>> 8;
  bytes[at + 1] = value;
}
function setUint32(bytes: Uint8Array, at: number, value: number): void {
  bytes[at] = value >>> 24;
  bytes[at + 1] = value >>> 16;
  bytes[at + 2] = value >>> 8;
  bytes[at + 3] = value;
}

/** Whether bytes start like a binary envelope: the identity, then version 1. */
export function isBinaryEnvelope(bytes: Uint8Array): boolean {
  if (bytes.length < PREFIX) return false;
  for (let i = 0; i < IDENTITY.length; i++) if (bytes[i] !== IDENTITY[i]) return false;
  return ((bytes[8]! << 8) | bytes[9]!) === 1;
}

/**
 * Reads a binary envelope (check {@linkcode isBinaryEnvelope} first) into a target made by `target`, and
 * returns that. Throws a {@linkcode DecodeError} naming the fault when an extent does not fit.
 *
 * Header lengths are UTF-8 bytes, as the format's reader (FastStream's too) takes them and Sluice writes
 * them. FastStream's writer (0.7.8) counts characters instead (Python's `len(str)`: code points), so each of
 * its non-ASCII keys or values says fewer bytes than it has, and FastStream itself cannot read such an
 * envelope back. When the header block does not fit read in bytes, it is read again counting code points,
 * into a second target, and accepted only if that fits exactly: every key and value valid UTF-8 inside the
 * block, the last one ending where the body starts. Bytes come first because they are the format's
 * definition; the two readings agree wherever the headers are ASCII. The exact fit is what keeps one kind
 * from passing for the other: read with the wrong unit, an envelope strays off its length fields after its
 * first non-ASCII string and takes text for lengths (two text bytes make a length of thousands), so it runs
 * past the body offset or stops short of it instead of landing on it. An envelope that fits neither reading
 * is refused with the fault of the byte reading. (One that mixes the units, as FastStream's writer does for a
 * `bytes` header value next to a non-ASCII `str` one, fits neither.)
 *
 * The body is a view of `bytes` (a plain `Uint8Array` even when `bytes` is a Node `Buffer`, as ioredis hands
 * them over); headers are read with Buffer's own UTF-8 slicing, which costs half of a `TextDecoder` over a
 * subarray for strings this short under Deno, Bun and Node 24 (0.3–0.5 µs a message of three headers).
 */
export function readEnvelope<T extends EnvelopeTarget>(bytes: Uint8Array, target: () => T): T {
  const length = bytes.length;
  const headersAt = uint32(bytes, 10);
  const bodyAt = uint32(bytes, 14);
  if (headersAt < PREFIX) {
    malformed(`the header block starts at byte ${headersAt}, inside the ${PREFIX}-byte prefix`);
  }
  if (headersAt + 2 > length) {
    malformed(`the header block starts at byte ${headersAt}, past the end of its ${length} bytes`);
  }
  if (bodyAt > length) malformed(`the body starts at byte ${bodyAt}, past the end of its ${length} bytes`);
  if (bodyAt < headersAt + 2) {
    malformed(`the body starts at byte ${bodyAt}, before the header block at byte ${headersAt} ends`);
  }
  const count = uint16(bytes, headersAt);
  const buffer = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, length);
  let read = target();
  const inBytes = readHeaders(buffer, headersAt + 2, bodyAt, count, byteExtent, read);
  if (inBytes !== undefined) {
    // The byte reading may have added headers before it failed: the code-point reading starts afresh.
    read = target();
    if (readHeaders(buffer, headersAt + 2, bodyAt, count, codePointExtent, read) !== undefined) {
      malformed(inBytes);
    }
  }
  read.body = new Uint8Array(bytes.buffer, bytes.byteOffset + bodyAt, length - bodyAt);
  return read;
}

/**
 * What an envelope is read into: its headers one at a time, in the order they were written, then its body.
 * The reader's own object (the driver's message fields) rather than a record and a pair made for each
 * message and copied out of again.
 */
export interface EnvelopeTarget {
  add(name: string, value: string): void;
  body: Uint8Array;
}

function malformed(fault: string): never {
  throw new DecodeError(`Malformed FastStream binary envelope: ${fault}`);
}

/**
 * Big-endian integers read from the bytes themselves: a DataView per message cost more than the reading (the
 * caller has checked that they fit).
 */
function uint16(bytes: Uint8Array, at: number): number {
  return (bytes[at]! << 8) | bytes[at + 1]!;
}
function uint32(bytes: Uint8Array, at: number): number {
  return ((bytes[at]! << 24) | (bytes[at + 1]! << 16) | (bytes[at + 2]! << 8) | bytes[at + 3]!) >>> 0;
}

/** Where a string of `length` units starting at `at` ends, or -1 when it does not end by `end`. */
type Extent = (bytes: Uint8Array, at: number, length: number, end: number) => number;

const byteExtent: Extent = (_bytes, at, length, end) => (at + length <= end ? at + length : -1);

const codePointExtent: Extent = (bytes, at, length, end) => {
  let p = at;
  for (let i = 0; i < length; i++) {
    if (p >= end) return -1;
    const lead = bytes[p]!;
    // The sequence length a lead byte announces; strict decoding checks the rest afterwards.
    p += lead < 0x80 ? 1 : lead >= 0xc2 && lead < 0xe0 ? 2 : lead >= 0xe0 && lead < 0xf0 ? 3 : 4;
  }
  return p <= end ? p : -1;
};

/** Adds the headers of the block from `start` to `end` to `target`; the fault that stopped it, if one did. */
function readHeaders(
  bytes: Buffer,
  start: number,
  end: number,
  count: number,
  extent: Extent,
  target: EnvelopeTarget,
): string | undefined {
  let at = start;
  let key = "";
  // Keys and values alternate: string 2i is header i's key, 2i + 1 its value.
  for (let n = 0; n < 2 * count; n++) {
    if (at + 2 > end) return `${part(n)} runs past byte ${end}, where the body starts`;
    const size = uint16(bytes, at);
    const from = at + 2;
    at = extent(bytes, from, size, end);
    if (at === -1) {
      return `${part(n)} (${size} bytes from byte ${from}) runs past byte ${end}, where the body starts`;
    }
    const slot = n >> 1;
    const isValue = n % 2 === 1;
    // Strings that repeat from message to message are compared with the last ones read, not decoded again.
    const repeats = isValue ? key === CONTENT_TYPE : slot < KEYS;
    let text = repeats ? sameText(isValue ? lastType : lastKeys[slot], bytes, from, at) : undefined;
    if (text === undefined) {
      text = utf8(bytes, from, at);
      if (text === undefined) return `${part(n)} (bytes ${from} to ${at}) is not UTF-8`;
      if (repeats) {
        const read = { bytes: new Uint8Array(bytes.subarray(from, at)), text };
        if (isValue) lastType = read;
        else lastKeys[slot] = read;
      }
    }
    if (isValue) target.add(key, text);
    else key = text;
  }
  if (at !== end) return `the headers (${count}) end at byte ${at}, but the body starts at byte ${end}`;
  return undefined;
}

/**
 * The header names last read at each of the first {@linkcode KEYS} positions of a header block, as bytes and
 * as the string. A producer writes the same names in the same order in every message, and comparing a name's
 * bytes with the last one's costs less than decoding it and having the engine hash the new string again as a
 * property key: together a fifth of a Redis Pub/Sub consumer's profile under Bun. Only valid UTF-8 names are
 * kept, and a name is copied when it changes.
 */
const KEYS = 8;
const lastKeys: (Read | undefined)[] = [];

/**
 * The content type last read, as bytes and as the string. Unlike the ids beside it, a producer's content type
 * repeats in every message: comparing its bytes costs a third of decoding them under Bun and a quarter under
 * Node 24 (30 against 90 ns, 35 against 150, for `application/json`), and every message of a run then carries
 * the same string, which the codec lookup compares by identity.
 */
const CONTENT_TYPE = "content-type";
let lastType: Read | undefined;

/** A string read from a header block: a copy of its bytes (the client's buffer is not ours to keep), and it. */
interface Read {
  readonly bytes: Uint8Array;
  readonly text: string;
}

/** The text of `last` when bytes `from` to `to` are its bytes. */
function sameText(last: Read | undefined, bytes: Uint8Array, from: number, to: number): string | undefined {
  if (last === undefined || last.bytes.length !== to - from) return undefined;
  const known = last.bytes;
  for (let i = 0; i < known.length; i++) if (bytes[from + i] !== known[i]) return undefined;
  return last.text;
}

/** "header 2's value" for the string at index 3 of the header block. */
function part(n: number): string {
  return `header ${(n >> 1) + 1}'s ${n % 2 === 0 ? "key" : "value"}`;
}

/**
 * The text of bytes `from` to `to`, or undefined when they are not UTF-8. ASCII (every header Sluice and
 * FastStream write by default) is read as Latin-1, the cheapest of Buffer's decoders; other bytes leniently,
 * keeping a leading U+FEFF, and only text with U+FFFD in it is checked by the strict decoder, which is much
 * slower.
 */
function utf8(bytes: Buffer, from: number, to: number): string | undefined {
  let i = from;
  while (i < to && bytes[i]! < 0x80) i++;
  if (i === to) return bytes.toString("latin1", from, to);
  const text = bytes.toString("utf8", from, to);
  if (text.indexOf("\uFFFD") === -1) return text;
  try {
    strict.decode(bytes.subarray(from, to));
    return text;
  } catch {
    return undefined;
  }
}
