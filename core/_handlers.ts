/**
 * A subscriber's handlers as its consumer sees them: which one takes a message (the first whose filter
 * matches), and the record of a call on the handler's mock while a test broker observes.
 *
 * @module
 */

import type { Context } from "./context.ts";
import { NoHandlerError } from "./errors.ts";
import type { ConsumedMessage, Message } from "./message.ts";
import type { Mock } from "./mock.ts";
import type { BrokerPort } from "./port.ts";

/** What the consumer needs of a handler. */
export interface HandlerEntry {
  readonly fn: (body: unknown, context: Context) => unknown;
  readonly filter: ((message: Message) => boolean) | undefined;
  readonly mock: Mock<unknown>;
}

/** The first handler of `channel`'s subscriber whose filter matches the message. */
export function selectHandler(
  handlers: readonly HandlerEntry[],
  message: ConsumedMessage,
  channel: string,
): HandlerEntry {
  if (handlers.length === 1 && !handlers[0]!.filter) return handlers[0]!;
  for (const handler of handlers) {
    if (!handler.filter || handler.filter(message)) return handler;
  }
  throw new NoHandlerError(
    `No handler of ${channel} matches message ${message.messageId}: add a handler without a filter last`,
  );
}

/** Records the call on the handler's mock while a test broker observes. */
export function recordCall(
  port: BrokerPort,
  handler: HandlerEntry,
  body: unknown,
  message: ConsumedMessage,
): void {
  port.observer?.record(handler.mock, {
    body,
    channel: message.channel,
    headers: message.headers,
    correlationId: message.correlationId,
  });
}
