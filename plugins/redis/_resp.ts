/**
 * RESP2, the Redis protocol, as much of it as a Pub/Sub connection speaks: commands written as arrays of
 * bulk strings, and replies read from the socket's chunks as they come. Bulk strings are read as views of
 * the chunk they arrived in, not copies; a reply split over chunks is read once its last byte is there, from
 * one buffer the chunks are joined into then (not on each chunk: a large message over many chunks is joined
 * once).
 *
 * @module
 */

/** An error reply (`-ERR …`), as read; the connection turns it into an Error for whoever waits for it. */
export class ErrorReply {
  readonly message: string;
  constructor(message: string) {
    this.message = message;
  }
}

/** A reply: a simple string, an error, an integer, a bulk string (bytes), null, or an array of replies. */
export type Reply = string | ErrorReply | number | Uint8Array | null | Reply[];

const EMPTY = new Uint8Array(0);
const CR = 13;
const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** A command as RESP: an array of bulk strings. */
export function encodeCommand(args: readonly (string | Uint8Array)[]): Uint8Array {
  const parts: Uint8Array[] = [encoder.encode(`*${args.length}\r\n`)];
  for (const arg of args) {
    const data = typeof arg === "string" ? encoder.encode(arg) : arg;
    parts.push(encoder.encode(`$${data.length}\r\n`), data, encoder.encode("\r\n"));
  }
  return join(parts, parts.reduce((n, part) => n + part.length, 0));
}

/** What the reader's steps return when a reply has not fully arrived; never leaves the reader. */
const INCOMPLETE: unique symbol = Symbol("incomplete");

/** Reads replies from a stream of chunks and hands each one, whole, to `reply`. */
export class ReplyReader {
  readonly #reply: (reply: Reply) => void;
  #buffer: Uint8Array = EMPTY;
  #offset = 0;
  /** The chunks of a reply that has not fully arrived, the first one starting with it. */
  #parts: Uint8Array[] = [];
  #held = 0;
  /** How many bytes that reply needs at least, counted from its start. */
  #needed = 0;

  constructor(reply: (reply: Reply) => void) {
    this.#reply = reply;
  }

  /** Reads a chunk: every reply it completes goes to `reply`, in order; what is left waits for more. */
  feed(chunk: Uint8Array): void {
    if (this.#parts.length > 0) {
      this.#parts.push(chunk);
      this.#held += chunk.length;
      if (this.#held < this.#needed) return;
      chunk = join(this.#parts, this.#held);
      this.#parts = [];
      this.#held = 0;
    }
    this.#buffer = chunk;
    this.#offset = 0;
    while (this.#offset < chunk.length) {
      const start = this.#offset;
      const reply = this.#read();
      if (reply === INCOMPLETE) {
        const rest = chunk.subarray(start);
        this.#parts = [rest];
        this.#held = rest.length;
        this.#needed = Math.max(this.#needed - start, rest.length + 1);
        break;
      }
      this.#reply(reply);
    }
    this.#buffer = EMPTY;
  }

  /** Drops what waits for more, and what a refused byte left: the connection it came from is gone. */
  reset(): void {
    this.#parts = [];
    this.#held = 0;
    this.#buffer = EMPTY;
  }

  #read(): Reply | typeof INCOMPLETE {
    const buffer = this.#buffer;
    if (this.#offset >= buffer.length) return this.#incomplete(this.#offset + 1);
    const type = buffer[this.#offset++];
    switch (type) {
      case 0x24: { // $ bulk string
        const length = this.#integer();
        if (length === INCOMPLETE) return INCOMPLETE;
        if (length < 0) return null;
        const end = this.#offset + length;
        if (end + 2 > buffer.length) return this.#incomplete(end + 2);
        this.#offset = end + 2;
        return buffer.subarray(end - length, end);
      }
      case 0x2a: { // * array
        const length = this.#integer();
        if (length === INCOMPLETE) return INCOMPLETE;
        if (length < 0) return null;
        const items: Reply[] = new Array(length);
        for (let i = 0; i < length; i++) {
          const item = this.#read();
          if (item === INCOMPLETE) return INCOMPLETE;
          items[i] = item;
        }
        return items;
      }
      case 0x2b: { // + simple string
        const line = this.#line();
        return line === INCOMPLETE ? INCOMPLETE : line;
      }
      case 0x2d: { // - error
        const line = this.#line();
        return line === INCOMPLETE ? INCOMPLETE : new ErrorReply(line);
      }
      case 0x3a: // : integer
        return this.#integer();
      default:
        throw new Error(`Unexpected byte ${type} in a Redis reply: the connection is out of step`);
    }
  }

  /** The digits up to CRLF, as a number. */
  #integer(): number | typeof INCOMPLETE {
    const buffer = this.#buffer;
    let i = this.#offset;
    let negative = false;
    if (buffer[i] === 0x2d) {
      negative = true;
      i++;
    }
    let value = 0;
    while (i < buffer.length && buffer[i] !== CR) value = value * 10 + buffer[i++]! - 0x30;
    if (i + 1 >= buffer.length) return this.#incomplete(i + 2);
    this.#offset = i + 2;
    return negative ? -value : value;
  }

  /** The text up to CRLF. */
  #line(): string | typeof INCOMPLETE {
    const buffer = this.#buffer;
    const end = buffer.indexOf(CR, this.#offset);
    if (end < 0 || end + 1 >= buffer.length) return this.#incomplete(buffer.length + 1);
    const line = decoder.decode(buffer.subarray(this.#offset, end));
    this.#offset = end + 2;
    return line;
  }

  /** Notes that the reply needs `end` bytes of the buffer at least. */
  #incomplete(end: number): typeof INCOMPLETE {
    this.#needed = end;
    return INCOMPLETE;
  }
}

function join(parts: readonly Uint8Array[], length: number): Uint8Array {
  const joined = new Uint8Array(length);
  let at = 0;
  for (const part of parts) {
    joined.set(part, at);
    at += part.length;
  }
  return joined;
}
