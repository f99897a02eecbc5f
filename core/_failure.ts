/**
 * What happens to a message that failed for good: dead-lettered, returned for redelivery with back-off, or
 * rejected — always with one error line that names the message.
 *
 * @module
 */

import { BatchFailure, DecodeError, describeError, NoHandlerError, ValidationError } from "./errors.ts";
import type { Context } from "./context.ts";
import type { ConsumedMessage } from "./message.ts";
import type { SubscriberOptions } from "./options.ts";
import type { BrokerPort } from "./port.ts";
import type { Backoff } from "./_retry.ts";
import { ERROR_HEADER } from "./wire.ts";
import { CORE_SUBSCRIBER_OPTIONS, withoutCore } from "./options.ts";

/**
 * Applies the subscriber's error policy to a message that failed for good, logging through the logger of
 * `context` (the message's, or its batch's).
 */
export async function applyErrorPolicy(
  message: ConsumedMessage,
  error: unknown,
  options: SubscriberOptions,
  retry: Backoff,
  port: BrokerPort,
  context: Context,
): Promise<void> {
  const logger = context.logger;
  const badInput = error instanceof DecodeError || error instanceof ValidationError ||
    error instanceof NoHandlerError;
  const fields = {
    messageId: message.messageId,
    correlationId: message.correlationId,
    channel: message.channel,
    error: describeError(error),
  };
  if ((options.ack ?? "auto") === "manual" || message.settlement) {
    logger.error(`Message ${message.messageId} failed: ${describeError(error)}`, fields);
    return;
  }
  if (options.deadLetter) {
    try {
      await port.driver.publish(options.deadLetter, {
        body: message.raw,
        headers: {
          ...message.headers,
          [ERROR_HEADER]: describeError(error),
          "x-sluice-original-channel": message.channel,
        },
        contentType: message.contentType,
        correlationId: message.correlationId,
        messageId: message.messageId,
      }, deadLetterOptions(port, options));
      logger.error(
        `Message ${message.messageId} failed: ${
          describeError(error)
        }; sent to dead-letter ${options.deadLetter}`,
        { ...fields, policy: "dead-letter" },
      );
      await message.ack();
    } catch (deadLetterError) {
      logger.error(
        `Message ${message.messageId} failed and could not be dead-lettered (${
          describeError(deadLetterError)
        }); returned for redelivery`,
        { ...fields, policy: "nack" },
      );
      await message.nack({ delay: retry.delay(message.deliveryCount ?? 1) });
    }
    return;
  }
  if (options.onError === "nack" && !badInput) {
    const delay = retry.delay(message.deliveryCount ?? 1);
    logger.error(
      `Message ${message.messageId} failed: ${describeError(error)}; returned for redelivery in ${delay} ms`,
      { ...fields, policy: "nack" },
    );
    await message.nack({ delay });
    return;
  }
  logger.error(`Message ${message.messageId} failed: ${describeError(error)}; rejected`, {
    ...fields,
    policy: "reject",
  });
  await message.reject();
  if (message.replyTo) {
    await port.reply(describeError(error), message.replyTo, {
      correlationId: message.correlationId ?? message.messageId,
      headers: { [ERROR_HEADER]: describeError(error) },
    }, context).catch(() => undefined);
  }
}

/**
 * Fails the messages of a batch whose handler threw: with a {@linkcode BatchFailure}, only the messages it
 * names (the others are acked when `ackRest`), else all of them.
 */
export function failBatch(
  batch: readonly ConsumedMessage[],
  error: unknown,
  ackRest: boolean,
  fail: (message: ConsumedMessage, error: unknown) => Promise<void>,
): Promise<unknown> {
  if (!(error instanceof BatchFailure)) return Promise.all(batch.map((m) => fail(m, error)));
  const failed = new Set(error.failed);
  return Promise.all(
    batch.map((m, i) => failed.has(i) ? fail(m, error.cause ?? error) : ackRest ? m.ack() : undefined),
  );
}

/** The plugin's publish options of a dead letter of a subscriber with `options` (see `Driver.deadLetterOptions`). */
function deadLetterOptions(port: BrokerPort, options: SubscriberOptions): Record<string, unknown> {
  const of = port.driver.deadLetterOptions;
  return of ? of(withoutCore(options, CORE_SUBSCRIBER_OPTIONS)) as Record<string, unknown> : {};
}
