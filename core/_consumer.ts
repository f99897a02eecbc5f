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
import { SETTLED } from "./driver.ts";
import { describeError } from "./errors.ts";
import type { Logger } from "./logger.ts";
import { ConsumedMessage } from "./message.ts";
import { composeConsume, type Middleware, subscriptionEvents } from "./middleware.ts";
import {
  type BatchOptions,
  CORE_SUBSCRIBER_OPTIONS,
  type SubscriberOptions,
  withoutCore,
} from "./options.ts";
import { checkBody, decodeBody } from "./_body.ts";
import { ackAll, emitResult, emitThenAck, type ResultTarget } from "./_emit.ts";
import { type HandlerEntry, recordCall, selectHandler } from "./_handlers.ts";
import { applyErrorPolicy, failBatch } from "./_failure.ts";
import { Batcher } from "./_batcher.ts";
import { Limiter } from "./_limiter.ts";
import { MessageContext } from "./_message_context.ts";
import type { BrokerPort, Mount } from "./port.ts";
import { type Backoff, backoff } from "./_retry.ts";

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

/** One subscription of one subscriber, from `start()` to `stop()`. */
export class Consumer {
  readonly #setup: ConsumerSetup;
  readonly #port: BrokerPort;
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
  readonly #process: (context: Context) => Promise<unknown>;
  readonly #middlewares: readonly Middleware[];
  readonly #bare: boolean;
  readonly #batcher: Batcher | undefined;
  #handle: SubscriptionHandle | undefined;

  constructor(setup: ConsumerSetup) {
    this.#setup = setup;
    const { options, mount } = setup;
    const port = this.#port = mount.port;
    this.#handlers = setup.handlers;
    this.#logger = port.logger.child({ subscriber: setup.channel });
    this.#codecs = options.codecs ? port.codecs.with(options.codecs) : port.codecs;
    this.#maxBodySize = options.maxBodySize ?? port.maxBodySize;
    this.#retry = backoff(options.retry);
    this.#ack = options.ack ?? "auto";
    this.#batch = typeof options.batch === "number" ? { size: options.batch } : options.batch;
    this.#extract = pathExtractor(setup.channel, port.driver.rules.separator);
    this.#orderBy = options.orderBy;
    const middlewares = this.#middlewares = [...mount.middlewares, ...(options.middlewares ?? [])];
    this.#bare = !middlewares.some((m) => m.consume);
    // The limiter's task is one message or a batch: the same pipeline, a single message being a batch of one,
    // or the common case's pipeline without an async stage (`#consumeOne`). Either returns SETTLED or a promise
    // that frees its slot as it settles (`tasksEnd`): in the reaction the pipeline runs anyway, not in one of
    // the limiter's own, which was most of the core's cost a message behind an async handler under Bun.
    const single = !this.#batch && this.#bare && this.#ack !== "first" && this.#retry.attempts <= 1;
    this.#limiter = new Limiter<IncomingMessage | IncomingMessage[]>(
      options.concurrency ?? 1,
      single ? (item) => this.#consumeOne(item as IncomingMessage) : (items) => this.#consume(items),
      { tasksEnd: true },
    );
    if (this.#batch) this.#batcher = new Batcher(this.#batch, (batch) => this.#limiter.run(batch));
    this.#process = composeConsume(middlewares, (ctx) => this.#run(ctx as MessageContext));
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
    const spec = {
      channel: driver.rules.pattern(channel),
      template: channel,
      group: options.group,
      prefetch: options.prefetch ?? (batch ? batch.size * concurrency : concurrency),
      options: withoutCore(options, CORE_SUBSCRIBER_OPTIONS),
    };
    const events = subscriptionEvents(this.#middlewares, driver.name, channel, this.#logger);
    this.#handle = await driver.subscribe(spec, deliver, events);
    this.#logger.debug("subscribed");
  }

  /** Stops taking new messages and waits for those in flight, up to `timeout` ms. */
  async stop(timeout: number): Promise<void> {
    const handle = this.#handle;
    if (!handle) return;
    this.#handle = undefined;
    await handle.stop();
    this.#batcher?.flush();
    if (!(await this.#limiter.idleWithin(timeout))) {
      this.#logger.warn(`Stopped with ${this.#limiter.open} message(s) still in flight after ${timeout} ms`);
    }
  }

  #key(incoming: IncomingMessage): string | undefined {
    const orderBy = this.#orderBy;
    return orderBy === undefined ? undefined : orderBy === "key" ? incoming.key : orderBy(incoming);
  }

  /**
   * The pipeline: settles every message of the list — handled, acked, or failed by the error policy — and then
   * frees its slot in the limiter.
   */
  async #consume(incoming: IncomingMessage | IncomingMessage[]): Promise<void> {
    try {
      // A single message is a batch of one, without the arrays and Promise.all a batch needs.
      const batch = Array.isArray(incoming) ? incoming.map((i) => this.#message(i)) : undefined;
      const message = batch ? batch[0]! : this.#message(incoming as IncomingMessage);
      const context = new MessageContext(this.#port, this.#logger, this.#setup.channel, message, batch);
      const ack = this.#ack;
      try {
        if (ack === "first") await ackAll(context);
        await (this.#bare ? this.#run(context) : this.#process(context));
        if (ack === "auto") await ackAll(context);
      } catch (error) {
        if (!context.batch) await this.#fail(context.message, error, context);
        else await failBatch(context.batch, error, ack === "auto", (m, e) => this.#fail(m, e, context));
      }
    } finally {
      this.#limiter.end();
    }
  }

  /**
   * The pipeline of one message without middleware or retries, not acked before its handler: no async stage,
   * so a handler that returns a plain value is acked in the same turn and the ack's promise is the only one.
   * A schema that answers synchronously (most do) is checked in the same turn; one that returns a promise
   * adds a stage. Failures follow the error policy, as in `#consume`. Returns SETTLED, or a promise that frees
   * the message's slot in the limiter as it settles.
   */
  #consumeOne(incoming: IncomingMessage): Promise<void> {
    let message: ConsumedMessage;
    let context: MessageContext;
    try {
      message = this.#message(incoming);
      context = new MessageContext(this.#port, this.#logger, this.#setup.channel, message);
    } catch (error) {
      // As from the async pipeline: the limiter and the driver see a rejection, never a throw.
      return this.#limiter.endAfter(Promise.reject(error));
    }
    let handler: HandlerEntry;
    let body: unknown;
    try {
      message.body = decodeBody(message, this.#codecs, this.#maxBodySize);
      handler = selectHandler(this.#handlers, message, this.#setup.channel);
      body = this.#setup.options.schema ? checkBody(message, this.#setup.options.schema) : message.body;
    } catch (error) {
      return this.#limiter.endAfter(this.#fail(message, error, context));
    }
    if (body instanceof Promise) {
      return body.then(
        (checked) => this.#limiter.endIfSettled(this.#call(handler, checked, message, context)),
        (error) => this.#limiter.endNow(this.#fail(message, error, context)),
      );
    }
    return this.#call(handler, body, message, context);
  }

  /**
   * Runs the handler on the message's decoded and checked body; then `#succeeded` or the error policy. Returns
   * SETTLED, or a promise that frees the message's slot as it settles.
   */
  #call(
    handler: HandlerEntry,
    body: unknown,
    message: ConsumedMessage,
    context: MessageContext,
  ): Promise<void> {
    let result: unknown;
    try {
      message.body = body;
      recordCall(this.#port, handler, body, message);
      result = handler.fn(body, context as unknown as Context);
    } catch (error) {
      return this.#limiter.endAfter(this.#fail(message, error, context));
    }
    if (typeof (result as PromiseLike<unknown> | undefined)?.then !== "function") {
      return this.#limiter.endAfter(this.#succeeded(result, message, context));
    }
    return Promise.resolve(result).then(
      (value) => this.#limiter.endNow(this.#succeeded(value, message, context)),
      (error) => this.#limiter.endNow(this.#fail(message, error, context)),
    );
  }

  /** Emits the handler's result and acks (unless acks are manual); a failure follows the error policy. */
  #succeeded(result: unknown, message: ConsumedMessage, context: MessageContext): Promise<void> {
    let done: Promise<void>;
    try {
      done = emitThenAck(this.#port, this.#setup.targets, result, message, context, this.#ack === "auto");
    } catch (error) {
      return this.#fail(message, error, context);
    }
    if (done === SETTLED) return SETTLED; // acked synchronously: the slot is free for the next message now
    return done.then(undefined, (error) => this.#fail(message, error, context));
  }

  #message(incoming: IncomingMessage): ConsumedMessage {
    return new ConsumedMessage(incoming, this.#extract?.(incoming.channel) ?? NO_PATH);
  }

  /** Decodes, validates and hands the message (or the batch's valid messages) to the handler. */
  async #run(context: MessageContext): Promise<unknown> {
    if (!this.#batch) {
      const message = context.message;
      message.body = decodeBody(message, this.#codecs, this.#maxBodySize);
      const handler = selectHandler(this.#handlers, message, this.#setup.channel);
      if (this.#setup.options.schema) message.body = await checkBody(message, this.#setup.options.schema);
      return this.#invoke(handler, message.body, message, context);
    }
    const valid: ConsumedMessage[] = [];
    for (const message of context.batch!) {
      try {
        message.body = decodeBody(message, this.#codecs, this.#maxBodySize);
        if (this.#setup.options.schema) message.body = await checkBody(message, this.#setup.options.schema);
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
    recordCall(this.#port, handler, body, message);
    const attempt = async (): Promise<unknown> => {
      const result = await handler.fn(body, context as unknown as Context);
      if (result !== undefined || message.replyTo) {
        await emitResult(this.#port, this.#setup.targets, result, message, context);
      }
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

  /** Applies the error policy to a message that failed for good, logging through its context's logger. */
  #fail(message: ConsumedMessage, error: unknown, context: MessageContext): Promise<void> {
    return applyErrorPolicy(message, error, this.#setup.options, this.#retry, this.#port, context);
  }
}
