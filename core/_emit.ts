/**
 * Where a handler's result goes: to the subscriber's publishers and channels, and as the reply when the
 * producer asked for one, all with the consumed message's correlation id.
 *
 * @module
 */

import type { Context } from "./context.ts";
import { SETTLED, unlessSettled } from "./driver.ts";
import type { ConsumedMessage } from "./message.ts";
import type { MessageContext } from "./_message_context.ts";
import type { BrokerPort } from "./port.ts";
import type { PublishOptions } from "./publish_options.ts";
import { HandlerResponse } from "./response.ts";

/** A channel, or a publisher. */
export type ResultTarget = string | {
  send(body: never, options: PublishOptions, origin: Context): Promise<void>;
};

/** Publishes `result` to every target and replies with it, in that order. */
export async function emitResult(
  port: BrokerPort,
  targets: readonly ResultTarget[],
  result: unknown,
  message: ConsumedMessage,
  context: Context,
): Promise<void> {
  let options: PublishOptions = { correlationId: message.correlationId ?? message.messageId };
  if (result instanceof HandlerResponse) {
    [result, options] = [result.body, { ...options, ...result.options }];
  }
  if (result !== undefined) {
    for (const target of targets) {
      if (typeof target === "string") await port.publish(result, target, options, context);
      else await target.send(result as never, options, context);
    }
  }
  if (message.replyTo) await port.reply(result, message.replyTo, options, context);
}

/**
 * A handled message's end: its result emitted (when there is one, or a reply is asked for), then the message
 * acked when `ack`. Throws what `emitResult` or the ack throws before their promise.
 */
export function emitThenAck(
  port: BrokerPort,
  targets: readonly ResultTarget[],
  result: unknown,
  message: ConsumedMessage,
  context: Context,
  ack: boolean,
): Promise<void> {
  if (result === undefined && !message.replyTo) return ack ? message.ack() : SETTLED;
  const emitted = emitResult(port, targets, result, message, context);
  return ack ? emitted.then(() => unlessSettled(message.ack())) : emitted;
}

/** Acks the context's message, or every message of its batch. */
export function ackAll({ batch, message }: MessageContext): Promise<unknown> {
  return batch ? Promise.all(batch.map((m) => m.ack())) : message.ack();
}
