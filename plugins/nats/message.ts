/**
 * Mapping between nats.js messages and the core's messages. The standard fields travel as FastStream's
 * NATS headers (`content-type`, `correlation_id`, `reply_to`, `message_id`); on core NATS the reply
 * subject is also the native one, as FastStream does.
 *
 * @module
 */

import type { IncomingMessage, OutgoingMessage } from "@sluice/core";
import { fromWireHeaders, toWireHeaders } from "@sluice/core/internal";
import type { Msg, MsgHdrs } from "@nats-io/transport-node";
import type { JsMsg } from "@nats-io/jetstream";

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

/** Headers of a nats.js message as a plain record (the last value of repeated headers wins). */
export function headerRecord(headers: MsgHdrs | undefined): Record<string, string> {
  const record: Record<string, string> = {};
  if (!headers) return record;
  for (const [name, values] of headers) {
    if (values.length > 0) record[name] = values[values.length - 1]!;
  }
  return record;
}

/** The parts every incoming message shares, from wire headers. */
function fields(channel: string, body: Uint8Array, headers: MsgHdrs | undefined) {
  const wire = fromWireHeaders(headerRecord(headers));
  return {
    channel,
    body,
    headers: wire.headers,
    contentType: wire.contentType,
    correlationId: wire.correlationId,
    messageId: wire.messageId ?? wire.headers["Nats-Msg-Id"],
    replyTo: wire.replyTo,
  };
}

/** A core NATS message: no acknowledgement exists, so settling only tells the subscription. */
export function coreIncoming(msg: Msg, settle: (how: "ack" | "nack" | "reject") => void): IncomingMessage {
  const base = fields(msg.subject, msg.data, msg.headers);
  return {
    ...base,
    // The native reply subject wins: it is what nc.request() and FastStream's core publisher set.
    replyTo: msg.reply || base.replyTo,
    raw: msg,
    ack: () => (settle("ack"), Promise.resolve()),
    nack: () => (settle("nack"), Promise.resolve()),
    reject: () => (settle("reject"), Promise.resolve()),
  };
}

/** A JetStream message: ack, nak (with the delay natively) and term are the server's operations. */
export function jetstreamIncoming(msg: JsMsg, settled: () => void): IncomingMessage {
  const base = fields(msg.subject, msg.data, msg.headers);
  let open = true;
  const once = (action: () => void): Promise<void> => {
    if (open) {
      open = false;
      action();
      settled();
    }
    return Promise.resolve();
  };
  return {
    ...base,
    // msg.reply is JetStream's ack subject; a reply address travels in the reply_to header only.
    redelivered: msg.redelivered,
    deliveryCount: msg.info.deliveryCount,
    raw: msg,
    ack: () => once(() => msg.ack()),
    nack: (options) => once(() => msg.nak(options?.delay && options.delay > 0 ? options.delay : undefined)),
    reject: () => once(() => msg.term()),
  };
}
