/**
 * NATS message headers without nats.js's `MsgHdrs` on the hot paths: reading an incoming message's header
 * block straight into the core's fields, and writing an outgoing one's.
 *
 * nats.js decodes a message's header block into its `MsgHdrs` on first read, and pays for features a consumer
 * never uses there: each name is canonicalised only to validate it, each header searches the names before it,
 * each value goes through a regular expression. On a core NATS subscription that was about 40 % of the
 * consumer's CPU per message, the same in a raw nats.js callback and in Sluice (`bun --cpu-prof-md
 * bench/nats/core.ts sluice`). The plugin reads the block itself, once: `NATS/1.0[ status]` and then
 * `name: value` lines, the same split nats.js makes (the name as written, the value trimmed, a line without a
 * colon skipped; of repeated names the last value wins, as in the rest of the plugin). A name nats.js would
 * refuse (a space or a control character in it) makes its getter throw and the message lost; here it is kept.
 *
 * The block's bytes are private fields of nats.js's message (`_rdata`, and `_msg.hdr`, the block's length, -1
 * when there is none); when they are not there in that shape, the plugin falls back to `msg.headers`.
 *
 * Writing: building a `MsgHdrs` with `set()` validates and searches the same way, and cost about 6 µs per
 * message with three headers, against about 1 µs for building the block as a string (Deno and Bun, a loop
 * of 200,000). nats.js's publish only calls the headers' `encode()`, and JetStream's publish `set()`s its own
 * (a message id, expectations) before that, so {@linkcode OutgoingHeaders} has exactly those two, and the
 * checks that keep a header from breaking the protocol's framing.
 *
 * @module
 */

import { WireFields } from "@sluice/core/kit";
import type { Msg, MsgHdrs } from "@nats-io/transport-node";
import type { JsMsg } from "@nats-io/jetstream";

/** The private shape of nats.js's `MsgImpl` this module reads; a `JsMsg` holds one as `msg`. */
interface Unparsed {
  readonly _rdata?: unknown;
  readonly _msg?: { readonly hdr?: unknown };
  readonly msg?: Unparsed;
}

const decoder = new TextDecoder();
const encoder = new TextEncoder();
/** A header name: printable ASCII without the colon, as nats.js (and NATS's Go server) accept. */
const NAME = /^[\x21-\x39\x3b-\x7e]+$/;
/** What a header value cannot hold: a line break would end the header (or the block) early. */
const BREAK = /[\r\n]/;

/** The standard fields and user headers of a core or JetStream message. */
export function wireFieldsOf(msg: Msg | JsMsg): WireFields {
  const outer = msg as unknown as Unparsed;
  const inner = outer._msg ? outer : outer.msg;
  const data = inner?._rdata;
  const length = inner?._msg?.hdr;
  if (data instanceof Uint8Array && typeof length === "number" && length <= data.length) {
    return length > 0 ? parseBlock(decoder.decode(data.subarray(0, length))) : new WireFields();
  }
  return fromMsgHdrs(msg.headers);
}

/** The fields of a decoded header block: a status line, then `name: value` lines, each ending in CRLF. */
export function parseBlock(block: string): WireFields {
  const wire = new WireFields();
  const first = block.indexOf("\r\n");
  if (first < 0) return wire;
  let at = first + 2;
  while (at < block.length) {
    let end = block.indexOf("\r\n", at);
    if (end < 0) end = block.length;
    const colon = block.indexOf(":", at);
    if (colon > -1 && colon < end) wire.add(block.slice(at, colon), block.slice(colon + 1, end).trim());
    at = end + 2;
  }
  return wire;
}

/** The fields of nats.js's own headers (the last of repeated values wins). */
function fromMsgHdrs(native: MsgHdrs | undefined): WireFields {
  const wire = new WireFields();
  if (native) {
    for (const [name, values] of native) {
      if (values.length > 0) wire.add(name, values[values.length - 1]!);
    }
  }
  return wire;
}

/**
 * The headers of an outgoing message, in the shape nats.js's publish path uses: `set()` (JetStream's publish
 * adds its own with it) and `encode()`. Values are trimmed, as nats.js does.
 */
export class OutgoingHeaders {
  readonly #names: string[] = [];
  readonly #values: string[] = [];

  /** The headers of `record`; throws a `TypeError` naming a header that cannot be sent. */
  constructor(record: Readonly<Record<string, string>>) {
    for (const name in record) {
      const value = record[name]!;
      check(name, value);
      this.#names.push(name);
      this.#values.push(value.trim());
    }
  }

  /** Sets a header, replacing one of the same name. */
  set(name: string, value: string): void {
    check(name, value);
    const at = this.#names.indexOf(name);
    if (at === -1) {
      this.#names.push(name);
      this.#values.push(value.trim());
    } else this.#values[at] = value.trim();
  }

  /** The header block as NATS sends it; empty when there is no header, as nats.js's is. */
  encode(): Uint8Array {
    if (this.#names.length === 0) return new Uint8Array(0);
    let block = "NATS/1.0";
    for (let i = 0; i < this.#names.length; i++) block += `\r\n${this.#names[i]}: ${this.#values[i]}`;
    return encoder.encode(`${block}\r\n\r\n`);
  }
}

/** Outgoing headers as nats.js's publish options type them. */
export function headersOf(record: Readonly<Record<string, string>>): MsgHdrs {
  return new OutgoingHeaders(record) as unknown as MsgHdrs;
}

function check(name: string, value: string): void {
  if (!NAME.test(name)) {
    throw new TypeError(
      `${JSON.stringify(name)} cannot be a NATS header name: use printable ASCII without ':'`,
    );
  }
  if (BREAK.test(value)) {
    throw new TypeError(
      `The value of header ${JSON.stringify(name)} has a line break, which NATS cannot carry`,
    );
  }
}
