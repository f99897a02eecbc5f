/**
 * A running subscriber: everything between the driver and a handler, once for every broker — decoding,
 * filters, validation, ack policy, retries, dead-lettering, concurrency, batching, and publishing the
 * handler's result. A single message runs the same pipeline as a batch of one.
 *
 * @module
 */

import { pathExtractor } from "./channel.ts";
import type { Codecs } from "./codec.ts";
import type { Context } from "./context.ts";
import type { Deliver, IncomingMessage, SubscriptionHandle } from "./driver.ts";
import { BatchFailure, describeError, MessageTooLargeError, NoHandlerError } from "./errors.ts";
import type { Logger } from "./logger.ts";
import { ConsumedMessage, type Message } from "./message.ts";
import { composeConsume, type Middleware } from "./middleware.ts";
import type { Mock } from "./mock.ts";
import {
  type BatchOptions,
  CORE_SUBSCRIBER_OPTIONS,
  type SubscriberOptions,
  withoutCore,
} from "./options.ts";
import type { PublishOptions } from "./publish_options.ts";
import { validate } from "./schema.ts";
import { HandlerResponse } from "./response.ts";
import { applyErrorPolicy } from "./_failure.ts";
import { Batcher } from "./_batcher.ts";
import { Limiter } from "./_limiter.ts";
import { MessageContext } from "./_message_context.ts";
import type { Mount } from "./port.ts";
import { type Backoff, backoff } from "./_retry.ts";

/** What the consumer needs of a handler. */
export interface HandlerEntry {
  readonly fn: (body: unknown, context: Context) => unknown;
  readonly filter: ((message: Message) => boolean) | undefined;
  readonly mock: Mock<unknown>;
}

/** Where a handler's result goes: a channel, or a publisher. */
export type ResultTarget = string | {
  send(body: never, options: PublishOptions, origin: Context): Promise<void>;
};

/** What a subscriber declared. */
export interface ConsumerSetup {
  /** The full channel template, router prefixes included. */
  readonly channel: string;
  readonly options: SubscriberOptions;
  readonly handlers: readonly HandlerEntry[];
  readonly targets: readonly ResultTarget[];
  readonly mount: Mount;
}

const NO_PATH: Readonly<Record<string, string>> = Object.freeze({});

/** Acks the context's message, or every message of its batch. */
function settle(context: MessageContext, outcome: "ack"): Promise<unknown> {
  const batch = context.batch;
  if (!batch) return context.message[outcome]();
  return Promise.all(batch.map((m) => m[outcome]()));
}

/** One subscription of one subscriber, from `start()` to `stop()`. */
export class Consumer {
  readonly #setup: ConsumerSetup;
  readonly #handlers: readonly HandlerEntry[];
  readonly #logger: Logger;
  readonly #codecs: Codecs;
  readonly #maxBodySize: number | undefined;
  readonly #retry: Backoff;
  readonly #ack: "auto" | "first" | "manual";
  readonly #batch: BatchOptions | undefined;
  readonly #extract: ((channel: string) => Record<string, string> | undefined) | undefined;
  readonly #limiter: Limiter<IncomingMessage | IncomingMessage[]>;
  readonly #orderBy: SubscriberOptions["orderBy"];
  readonly #process: (context: MessageContext) => Promise<unknown>;
  readonly #bare: boolean;
  readonly #batcher: Batcher | undefined;
  #handle: SubscriptionHandle | undefined;

  constructor(setup: ConsumerSetup) {
    this.#setup = setup;
    const { options, mount } = setup;
    const port = mount.port;
    this.#handlers = setup.handlers;
    this.#logger = port.logger.child({ subscriber: setup.channel });
    this.#codecs = options.codecs ? port.codecs.with(options.codecs) : port.codecs;
    this.#maxBodySize = options.maxBodySize ?? port.maxBodySize;
    this.#retry = backoff(options.retry);
    this.#ack = options.ack ?? "auto";
    this.#batch = typeof options.batch === "number" ? { size: options.batch } : options.batch;
    this.#extract = pathExtractor(setup.channel, port.driver.rules.separator);
    // A subscriber consumes either single messages or batches; either way its task is a list of messages.
    this.#orderBy = options.orderBy;
    // The limiter's task is one message or a batch: the same pipeline, a single message being a batch of one.
    this.#limiter = new Limiter<IncomingMessage | IncomingMessage[]>(
      options.concurrency ?? 1,
      (items) => this.#consume(items),
    );
    if (this.#batch) this.#batcher = new Batcher(this.#batch, (batch) => this.#limiter.run(batch));
    const middlewares: readonly Middleware[] = [...mount.middlewares, ...(options.middlewares ?? [])];
    this.#bare = !middlewares.some((m) => m.consume);
    this.#process = composeConsume(middlewares, (ctx) => this.#run(ctx as MessageContext)) as (
      context: MessageContext,
    ) => Promise<unknown>;
  }

  /** Messages handed over and not yet settled. */
  get inFlight(): number {
    return this.#limiter.open + (this.#batcher?.waiting ?? 0);
  }

  /** Subscribes through the driver; resolves once the subscription is live. */
  async start(): Promise<void> {
    const { channel, options, mount } = this.#setup;
    const driver = mount.port.driver;
    const batch = this.#batch;
    const batcher = this.#batcher;
    const concurrency = options.concurrency ?? 1;
    const deliver: Deliver = batcher
      ? (incoming) => batcher.add(incoming)
      : (incoming) => this.#limiter.run(incoming, this.#key(incoming));
    this.#handle = await driver.subscribe({
      channel: driver.rules.pattern(channel),
      template: channel,
      group: options.group,
      prefetch: options.prefetch ?? (batch ? batch.size * concurrency : concurrency),
      options: withoutCore(options, CORE_SUBSCRIBER_OPTIONS),
    }, deliver);
    this.#logger.debug("subscribed");
  }

  /** Stops taking new messages and waits for those in flight, up to `timeout` ms. */
  async stop(timeout: number): Promise<void> {
    const handle = this.#handle;
    if (!handle) return;
    this.#handle = undefined;
    await handle.stop();
    this.#batcher?.flush();
    const limiter = this.#limiter;
    if (limiter.open === 0) return;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const expired = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(true), timeout)));
    const late = await Promise.race([limiter.idle().then(() => false), expired]);
    clearTimeout(timer);
    if (late) {
      this.#logger.warn(`Stopped with ${limiter.open} message(s) still in flight after ${timeout} ms`);
    }
  }

  #key(incoming: IncomingMessage): string | undefined {
    const orderBy = this.#orderBy;
    return orderBy === undefined ? undefined : orderBy === "key" ? incoming.key : orderBy(incoming);
  }

  /** The pipeline: settles every message of the list — handled, acked, or failed by the error policy. */
  async #consume(incoming: IncomingMessage | IncomingMessage[]): Promise<void> {
    // A single message is a batch of one, without the arrays and Promise.all a batch needs.
    const batch = Array.isArray(incoming) ? incoming.map((i) => this.#message(i)) : undefined;
    const context = new MessageContext(
      this.#setup.mount.port,
      this.#logger,
      this.#setup.channel,
      batch ? batch[0]! : this.#message(incoming as IncomingMessage),
      batch,
    );
    const ack = this.#ack;
    try {
      if (ack === "first") await settle(context, "ack");
      await (this.#bare ? this.#run(context) : this.#process(context));
      if (ack === "auto") await settle(context, "ack");
    } catch (error) {
      if (error instanceof BatchFailure && context.batch) {
        const failed = new Set(error.failed);
        await Promise.all(
          context.batch.map((m, i) =>
            failed.has(i)
              ? this.#fail(m, error.cause ?? error, context)
              : ack === "auto"
              ? m.ack()
              : undefined
          ),
        );
      } else if (context.batch) {
        await Promise.all(context.batch.map((m) => this.#fail(m, error, context)));
      } else await this.#fail(context.message, error, context);
    }
  }

  #message(incoming: IncomingMessage): ConsumedMessage {
    return new ConsumedMessage(incoming, this.#extract?.(incoming.channel) ?? NO_PATH);
  }

  /** Decodes, validates and hands the message (or the batch's valid messages) to the handler. */
  async #run(context: MessageContext): Promise<unknown> {
    if (!this.#batch) {
      const message = context.message;
      message.body = this.#decode(message);
      const handler = this.#select(message);
      if (this.#setup.options.schema) message.body = await this.#validate(message);
      return this.#invoke(handler, message.body, message, context);
    }
    const valid: ConsumedMessage[] = [];
    for (const message of context.batch!) {
      try {
        message.body = this.#decode(message);
        if (this.#setup.options.schema) message.body = await this.#validate(message);
        valid.push(message);
      } catch (error) {
        await this.#fail(message, error, context);
      }
    }
    context.narrow(valid);
    if (valid.length === 0) return undefined;
    return this.#invoke(this.#handlers[0]!, valid.map((m) => m.body), valid[0]!, context);
  }

  #invoke(
    handler: HandlerEntry,
    body: unknown,
    message: ConsumedMessage,
    context: MessageContext,
  ): Promise<unknown> {
    this.#setup.mount.port.observer?.record(handler.mock, {
      body,
      channel: message.channel,
      headers: message.headers,
      correlationId: message.correlationId,
    });
    const attempt = async (): Promise<unknown> => {
      const result = await handler.fn(body, context as unknown as Context);
      if (result !== undefined || message.replyTo) await this.#emit(result, message, context);
      return result;
    };
    return this.#retry.run(
      attempt,
      (failed, delay, error) =>
        context.logger.warn(`Attempt ${failed} of ${this.#retry.attempts} failed, retrying in ${delay} ms`, {
          messageId: message.messageId,
          correlationId: message.correlationId,
          error: describeError(error),
        }),
    );
  }

  #decode(message: ConsumedMessage): unknown {
    const unreadable = message.incoming.decodeError;
    if (unreadable) throw unreadable;
    const max = this.#maxBodySize;
    if (max !== undefined && message.raw.length > max) {
      throw new MessageTooLargeError(
        `Message ${message.messageId} has ${message.raw.length} bytes, more than maxBodySize ${max}`,
      );
    }
    return this.#codecs.decode(message.raw, message.contentType);
  }

  /** The decoded body, validated by the subscriber's schema. */
  #validate(message: ConsumedMessage): Promise<unknown> {
    const what = `Message ${message.messageId} on ${message.channel}`;
    return validate(this.#setup.options.schema!, message.body, what);
  }

  #select(message: ConsumedMessage): HandlerEntry {
    const handlers = this.#handlers;
    if (handlers.length === 1 && !handlers[0]!.filter) return handlers[0]!;
    for (const handler of handlers) {
      if (!handler.filter || handler.filter(message)) return handler;
    }
    const channel = this.#setup.channel;
    throw new NoHandlerError(
      `No handler of ${channel} matches message ${message.messageId}: add a handler without a filter last`,
    );
  }

  async #emit(result: unknown, message: ConsumedMessage, context: MessageContext): Promise<void> {
    const port = this.#setup.mount.port;
    let options: PublishOptions = { correlationId: message.correlationId ?? message.messageId };
    if (result instanceof HandlerResponse) {
      [result, options] = [result.body, { ...options, ...result.options }];
    }
    if (result !== undefined) {
      for (const target of this.#setup.targets) {
        if (typeof target === "string") await port.publish(result, target, options, context);
        else await target.send(result as never, options, context);
      }
    }
    if (message.replyTo) await port.reply(result, message.replyTo, options, context);
  }

  /** Applies the error policy to a message that failed for good, logging through its context's logger. */
  #fail(message: ConsumedMessage, error: unknown, context: MessageContext): Promise<void> {
    const { options, mount } = this.#setup;
    return applyErrorPolicy(message, error, options, this.#retry, mount.port, context);
  }
}
