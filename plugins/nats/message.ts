/**
 * Mapping between nats.js messages and the core's messages. The standard fields travel as FastStream's
 * NATS headers (`content-type`, `correlation_id`, `reply_to`, `message_id`); on core NATS the reply
 * subject is also the native one, as FastStream does.
 *
 * @module
 */

import { type IncomingMessage, type Message, type OutgoingMessage, SETTLED } from "@sluice/core";
import { toWireHeaders } from "@sluice/core/kit";
import type { Msg } from "@nats-io/transport-node";
import type { JsMsg } from "@nats-io/jetstream";
import { wireFieldsOf } from "./_headers.ts";

/** The header of the operation (`PUT`, `DEL`, `PURGE`) of a key-value watch message. */
export const KV_OPERATION_HEADER = "kv-operation";
/** The header of the revision of a key-value watch message. */
export const KV_REVISION_HEADER = "kv-revision";
/** The bucket of a key-value watch message. */
export const KV_BUCKET_HEADER = "kv-bucket";

/** The standard fields and user headers of an outgoing message as NATS header pairs. */
export function wireHeaders(message: OutgoingMessage): Record<string, string> {
  return toWireHeaders(message);
}

/**
 * The reply subject of a core NATS message, or "". nats.js decodes `msg.reply` from bytes on every read, an
 * absent one included (most of a microsecond under Deno); its parsed arguments, when they are there, say
 * whether there is one to decode.
 */
function nativeReply(msg: Msg): string {
  const parsed = (msg as { _msg?: { reply?: Uint8Array } })._msg;
  return parsed && !parsed.reply?.length ? "" : msg.reply ?? "";
}

/**
 * Gives a core message that waits for its handler bytes of its own. nats.js hands over views of the socket's
 * chunk (the payload with its headers, the subject, the reply subject), which a message that waits would keep
 * alive whole — and while a subscriber drops, the one message of a chunk let in as a slot frees would hold
 * its chunk, making the byte bound a bound on chunks. Its fields are nats.js's `MsgImpl`'s (`_rdata`, `_msg`).
 */
export function detach(msg: Msg): void {
  const m = msg as unknown as {
    _rdata?: Uint8Array;
    _msg?: { readonly subject?: Uint8Array; readonly reply?: Uint8Array };
  };
  // Copies made by the Uint8Array constructor: the views are Node Buffers, whose `slice` copies nothing.
  if (m._rdata) m._rdata = new Uint8Array(m._rdata);
  const parsed = m._msg;
  if (parsed) {
    m._msg = {
      ...parsed,
      subject: parsed.subject && new Uint8Array(parsed.subject),
      reply: parsed.reply && new Uint8Array(parsed.reply),
    };
  }
}

/**
 * A core NATS message: no acknowledgement exists, so settling only tells the subscription. A class, not an
 * object of closures, since one is made per message.
 */
class CoreIncoming implements IncomingMessage {
  readonly body: Uint8Array;
  readonly headers: Record<string, string>;
  readonly contentType: string | undefined;
  readonly correlationId: string | undefined;
  readonly messageId: string | undefined;
  readonly replyTo: string | undefined;
  readonly raw: Msg;
  readonly #settle: (how: "ack" | "nack" | "reject") => void;

  constructor(msg: Msg, settle: (how: "ack" | "nack" | "reject") => void) {
    const wire = wireFieldsOf(msg);
    this.body = msg.data;
    this.headers = wire.headers;
    this.contentType = wire.contentType;
    this.correlationId = wire.correlationId;
    this.messageId = wire.messageId ?? wire.headers["Nats-Msg-Id"];
    // The native reply subject wins: it is what nc.request() and FastStream's core publisher set.
    this.replyTo = nativeReply(msg) || wire.replyTo;
    this.raw = msg;
    this.#settle = settle;
  }

  /** Read when asked for: nats.js decodes the subject's bytes on first read, and most handlers never need it. */
  get channel(): string {
    return this.raw.subject;
  }

  ack(): Promise<void> {
    this.#settle("ack");
    return SETTLED;
  }
  nack(): Promise<void> {
    this.#settle("nack");
    return SETTLED;
  }
  reject(): Promise<void> {
    this.#settle("reject");
    return SETTLED;
  }
}

/** A core NATS message as the core's IncomingMessage. */
export function coreIncoming(msg: Msg, settle: (how: "ack" | "nack" | "reject") => void): IncomingMessage {
  return new CoreIncoming(msg, settle);
}

/**
 * Acks waiting to be written. nats.js writes its outbound buffer to the socket one microtask after the first
 * command, and the core settles each message in its own chain of microtasks, so acking at once costs one
 * socket write per message (most of a drain's time). Queued here until the current macrotask ends, the acks
 * of a whole read from the socket go out in one write. Nothing is acked before the core calls `ack()`;
 * the ack only leaves a little later (and at once when a subscription stops or the connection closes).
 */
let pendingAcks: JsMsg[] = [];

/** Writes the queued acks now; an ack that cannot be sent (connection closed) is redelivered later. */
export function flushAcks(): void {
  const acks = pendingAcks;
  if (acks.length === 0) return;
  pendingAcks = [];
  for (const msg of acks) {
    try {
      msg.ack();
    } catch {
      // The connection is gone: the server redelivers the message (at-least-once).
    }
  }
}

function queueAck(msg: JsMsg): void {
  if (pendingAcks.push(msg) === 1) setImmediate(flushAcks);
}

/**
 * A JetStream message: ack, nak (with the delay natively) and term are the server's operations. A class, not
 * an object of closures, since one is made per message; the delivery count is read lazily (nats.js parses
 * it from the ack subject, which most handlers never need).
 */
class JetStreamIncoming implements IncomingMessage {
  readonly channel: string;
  readonly body: Uint8Array;
  readonly headers: Record<string, string>;
  readonly contentType: string | undefined;
  readonly correlationId: string | undefined;
  readonly messageId: string | undefined;
  /** msg.reply is JetStream's ack subject; a reply address travels in the reply_to header only. */
  readonly replyTo: string | undefined;
  readonly raw: JsMsg;
  #open = true;
  readonly #settled: () => void;

  constructor(msg: JsMsg, settled: () => void) {
    const wire = wireFieldsOf(msg);
    this.channel = msg.subject;
    this.body = msg.data;
    this.headers = wire.headers;
    this.contentType = wire.contentType;
    this.correlationId = wire.correlationId;
    this.messageId = wire.messageId ?? wire.headers["Nats-Msg-Id"];
    this.replyTo = wire.replyTo;
    this.raw = msg;
    this.#settled = settled;
  }

  get redelivered(): boolean {
    return this.raw.redelivered;
  }
  get deliveryCount(): number {
    return this.raw.info.deliveryCount;
  }

  ack(): Promise<void> {
    if (this.#claim()) {
      queueAck(this.raw);
      this.#settled();
    }
    return SETTLED;
  }
  nack(options?: { readonly delay?: number }): Promise<void> {
    if (this.#claim()) {
      this.raw.nak(options?.delay && options.delay > 0 ? options.delay : undefined);
      this.#settled();
    }
    return SETTLED;
  }
  reject(): Promise<void> {
    if (this.#claim()) {
      this.raw.term();
      this.#settled();
    }
    return SETTLED;
  }

  /** The first settlement wins; later ones do nothing. */
  #claim(): boolean {
    if (!this.#open) return false;
    this.#open = false;
    return true;
  }
}

/** A JetStream message as the core's IncomingMessage; `settled` runs once, after the first settlement. */
export function jetstreamIncoming(msg: JsMsg, settled: () => void): IncomingMessage {
  return new JetStreamIncoming(msg, settled);
}

/**
 * Tells JetStream the handler of this message is still working, so it does not redeliver it when the ack
 * wait runs out. Does nothing on core NATS and key-value messages.
 *
 * @example
 * ```ts
 * import { nats, working } from "@sluice/nats";
 * const broker = nats({ jetstream: true });
 * broker.subscriber("videos.encode", { consumer: { ackWait: 10_000 } }).handle(async (_video, ctx) => {
 *   working(ctx.message); // before each long step
 * });
 * ```
 */
export function working(message: Message): void {
  const native = message.native as { working?: () => void; info?: unknown } | undefined;
  if (native && typeof native.working === "function" && native.info !== undefined) native.working();
}
