/**
 * Subscribers: a channel, its options, and one or more handlers. Everything between the driver and a
 * handler lives here once for every broker: decoding, filters, validation, ack policy, retries,
 * dead-lettering, concurrency, batching, and publishing the handler's result.
 *
 * @module
 */

import type { Context } from "./context.ts";
import type { IncomingMessage, SubscriptionHandle } from "./driver.ts";
import { BatchFailure, describeError, MessageTooLargeError, OptionError } from "./errors.ts";
import type { Logger } from "./logger.ts";
import { ConsumedMessage, type Message } from "./message.ts";
import { composeConsume, type Middleware } from "./middleware.ts";
import { Mock } from "./mock.ts";
import type { Publisher } from "./publisher.ts";
import type { Router } from "./router.ts";
import { type Infer, type StandardSchemaV1, validate } from "./schema.ts";
import { pathExtractor } from "./channel.ts";
import { Limiter, sleep } from "./_limiter.ts";
import type { Codec, Codecs } from "./codec.ts";
import { applyErrorPolicy, NoHandlerError } from "./_failure.ts";
import { MessageContext } from "./_message_context.ts";

/** Retrying a failed handler in the process, with exponential back-off, before the error policy applies. */
export interface RetryPolicy {
  /** Tries in all, the first included; 1 by default (no retry). */
  readonly attempts?: number;
  /** Milliseconds before the first retry; 100 by default. */
  readonly delay?: number;
  /** Each retry waits this many times longer; 2 by default. */
  readonly factor?: number;
  /** The longest wait; 30 000 ms by default. */
  readonly maxDelay?: number;
}

/** Options of a batch subscriber. */
export interface BatchOptions {
  /** The largest batch. */
  readonly size: number;
  /** Milliseconds to wait for a batch to fill before handling what there is; 100 by default. */
  readonly timeout?: number;
}

/**
 * Options of a subscriber. Plugin options (consumer group settings, exchanges, QoS …) go beside these.
 */
export interface SubscriberOptions<S extends StandardSchemaV1 | undefined = StandardSchemaV1 | undefined> {
  /** Validates every body; the handler's argument type is its output type. */
  readonly schema?: S;
  /** Subscribers in one group compete for messages; without a group each gets every message. */
  readonly group?: string;
  /**
   * When the message is acknowledged: `auto` after the handler and its publishes succeeded (the default,
   * at-least-once), `first` before the handler runs (at-most-once), `manual` only when the handler calls
   * `ctx.message.ack()`.
   */
  readonly ack?: "auto" | "first" | "manual";
  /**
   * What happens when the handler fails for good: `reject` (the default) gives the message up — the broker
   * dead-letters it where configured —, `nack` returns it for redelivery with back-off. Bodies that cannot
   * be decoded or fail their schema are never redelivered: they are dead-lettered or rejected.
   */
  readonly onError?: "reject" | "nack";
  /** Retries in the process before the error policy applies. A number is the attempts in all. */
  readonly retry?: number | RetryPolicy;
  /** A channel that receives messages that failed for good, with `x-sluice-error` saying why; then acked. */
  readonly deadLetter?: string;
  /** How many messages are handled at once; 1 by default. */
  readonly concurrency?: number;
  /** Keeps messages with the same key in order while others run in parallel: `key` uses the broker's key. */
  readonly orderBy?: "key" | ((message: IncomingMessage) => string);
  /** Hands the handler a batch of bodies instead of one: a size, or size and wait. */
  readonly batch?: number | BatchOptions;
  /** Unsettled messages the broker may hand over; from `concurrency` and `batch` by default. */
  readonly prefetch?: number;
  /**
   * The largest body accepted, in bytes; a larger one is not decoded but dead-lettered or rejected with a
   * logged error. The broker's `maxBodySize` by default (no limit unless set).
   */
  readonly maxBodySize?: number;
  /** Extra codecs for this subscriber, beside the broker's. */
  readonly codecs?: readonly Codec[];
  /** Middlewares around this subscriber's handling. */
  readonly middlewares?: readonly Middleware[];
  /** A description for the generated docs. */
  readonly description?: string;
  /** Plugin-specific options. */
  readonly [option: string]: unknown;
}

/** The body type of a subscriber's handler: the schema's output, as an array for a batch subscriber. */
export type SubscriberBody<S, O> = O extends { readonly batch: number | BatchOptions } ? Infer<S>[]
  : Infer<S>;

/** Options of one handler. */
export interface HandleOptions<Path> {
  /** Picks the messages for this handler; the first handler whose filter passes wins, one without is a catch-all. */
  readonly filter?: (message: Message<unknown, Path>) => boolean;
}

/** A handler function: gets the body and the context, returns what chained publishers publish. */
export type HandlerFunction<Body, Path, Result> = (
  body: Body,
  context: Context<Path>,
) => Result | Promise<Result>;

/** A registered handler, with a mock of what it received. */
export class Handler<Body = unknown, Path = Readonly<Record<string, string>>, Result = unknown> {
  /** What it received, while a test broker is active. */
  readonly mock: Mock<Body> = new Mock<Body>();
  /** The subscriber it belongs to. */
  readonly subscriber: Subscriber<Body, Path>;
  /** @internal */
  readonly fn: HandlerFunction<Body, Path, Result>;
  /** @internal */
  readonly filter: ((message: Message<unknown, Path>) => boolean) | undefined;

  /** Use `subscriber.handle()`. */
  constructor(
    subscriber: Subscriber<Body, Path>,
    fn: HandlerFunction<Body, Path, Result>,
    filter: ((message: Message<unknown, Path>) => boolean) | undefined,
  ) {
    this.subscriber = subscriber;
    this.fn = fn;
    this.filter = filter;
  }
}

const NO_PATH: Readonly<Record<string, string>> = Object.freeze({});

interface Pending {
  readonly incoming: IncomingMessage;
  readonly done: () => void;
}

/**
 * A subscriber: consumes a channel and hands each message to the first handler whose filter matches.
 *
 * @example
 * ```ts
 * import { memory } from "@sluice/core";
 * const broker = memory();
 * broker
 *   .subscriber("logs.{level}")
 *   .handle((line, ctx) => console.log(ctx.path.level, line));
 * ```
 */
export class Subscriber<Body = unknown, Path = Readonly<Record<string, string>>, Out = unknown> {
  readonly #router: Router;
  readonly #template: string;
  readonly #options: SubscriberOptions;
  readonly #handlers: Handler<Body, Path, unknown>[] = [];
  readonly #publishers: (Publisher | string)[] = [];
  #handle: SubscriptionHandle | undefined;
  #limiter: Limiter<IncomingMessage & IncomingMessage[]> | undefined;
  #buffer: Pending[] = [];
  #timer: ReturnType<typeof setTimeout> | undefined;
  #process: ((context: MessageContext) => Promise<unknown>) | undefined;
  #extract: ((channel: string) => Record<string, string> | undefined) | undefined;
  #logger: Logger | undefined;
  readonly #retries: number;
  #bare = true;
  #codecs: Codecs | undefined;
  #maxBodySize: number | undefined;

  /** Use `broker.subscriber()` or `router.subscriber()`. */
  constructor(router: Router, template: string, options: SubscriberOptions) {
    this.#router = router;
    this.#template = template;
    this.#options = options;
    this.#retries = typeof options.retry === "number" ? options.retry : options.retry?.attempts ?? 1;
    const batch = options.batch;
    if (batch !== undefined && (typeof batch === "number" ? batch : batch.size) < 1) {
      throw new OptionError(`Subscriber ${template}: batch size must be at least 1`);
    }
    if (options.concurrency !== undefined && !(options.concurrency >= 1)) {
      throw new OptionError(
        `Subscriber ${template}: concurrency must be at least 1, got ${options.concurrency}`,
      );
    }
  }

  /** The full channel template, router prefixes included. */
  get channel(): string {
    return this.#router.prefix + this.#template;
  }

  /** The options it was declared with. */
  get options(): SubscriberOptions {
    return this.#options;
  }

  /** Its handlers, in the order they were added. */
  get handlers(): readonly Handler<Body, Path, unknown>[] {
    return this.#handlers;
  }

  /** Channels (or publishers) that receive each handler's result. */
  get publishers(): readonly (Publisher | string)[] {
    return this.#publishers;
  }

  /** Whether it is consuming. */
  get running(): boolean {
    return this.#handle !== undefined;
  }

  /** Messages handed over and not yet settled. */
  get inFlight(): number {
    return (this.#limiter?.open ?? 0) + this.#buffer.length;
  }

  /**
   * Publishes every handler's return value to `target` (a channel or a publisher), with the consumed
   * message's correlation id. Chain several to fan out.
   */
  publisher<B>(target: Publisher<B>): Subscriber<Body, Path, B>;
  publisher(target: string): Subscriber<Body, Path, Out>;
  publisher(target: Publisher | string): Subscriber<Body, Path, unknown> {
    this.#publishers.push(target);
    return this as unknown as Subscriber<Body, Path, unknown>;
  }

  /**
   * Adds a handler. Handlers are tried in order: the first whose `filter` passes gets the message; add the
   * catch-all (no filter) last.
   */
  handle<R extends Out>(
    fn: HandlerFunction<Body, Path, R>,
    options: HandleOptions<Path> = {},
  ): Handler<Body, Path, R> {
    if (this.#options.batch !== undefined && this.#handlers.length > 0) {
      throw new OptionError(`Batch subscriber ${this.channel} takes one handler`);
    }
    const handler = new Handler<Body, Path, R>(this, fn, options.filter);
    this.#handlers.push(handler as unknown as Handler<Body, Path, unknown>);
    return handler;
  }

  /** Starts consuming (the broker calls this on start; call it for a subscriber added later). */
  async start(): Promise<void> {
    if (this.#handle) return;
    if (this.#handlers.length === 0) {
      throw new OptionError(`Subscriber ${this.channel} has no handler: add one with .handle()`);
    }
    const broker = this.#router.broker;
    const driver = broker.driver;
    const options = this.#options;
    const batch = typeof options.batch === "number" ? { size: options.batch } : options.batch;
    const concurrency = options.concurrency ?? 1;
    // A subscriber consumes either single messages or batches, so its limiter runs one kind of task.
    this.#limiter = new Limiter<IncomingMessage & IncomingMessage[]>(
      concurrency,
      batch ? (items) => this.#consumeBatch(items) : (incoming) => this.#consume(incoming),
    );
    this.#logger = broker.logger.child({ subscriber: this.channel });
    this.#extract = pathExtractor(this.channel, driver.rules.separator);
    this.#codecs = options.codecs ? broker.codecs.with(options.codecs) : broker.codecs;
    this.#maxBodySize = options.maxBodySize ?? broker.maxBodySize;
    const middlewares = [...this.#router.middlewareChain(), ...(options.middlewares ?? [])];
    this.#bare = !middlewares.some((m) => m.consume);
    this.#process = composeConsume(
      middlewares,
      batch ? (ctx) => this.#runBatch(ctx as MessageContext) : (ctx) => this.#run(ctx as MessageContext),
    );
    const deliver = batch
      ? (incoming: IncomingMessage) => this.#collect(incoming, batch)
      : (incoming: IncomingMessage) => this.#deliver(incoming);
    this.#handle = await driver.subscribe(
      {
        channel: driver.rules.pattern(this.channel),
        template: this.channel,
        group: options.group,
        prefetch: options.prefetch ?? (batch ? batch.size * concurrency : concurrency),
        options: options as Record<string, unknown>,
      },
      deliver,
    );
    this.#logger.debug("subscribed");
  }

  /** Stops taking new messages and waits for those in flight, up to `timeout` ms. */
  async stop(timeout = 30_000): Promise<void> {
    const handle = this.#handle;
    if (!handle) return;
    this.#handle = undefined;
    await handle.stop();
    this.#flush();
    const limiter = this.#limiter;
    if (limiter && limiter.open > 0) {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const expired = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(true), timeout)));
      const late = await Promise.race([limiter.idle().then(() => false), expired]);
      clearTimeout(timer);
      if (late) {
        this.#logger?.warn(`Stopped with ${limiter.open} message(s) still in flight after ${timeout} ms`);
      }
    }
  }

  #deliver(incoming: IncomingMessage): Promise<void> {
    const orderBy = this.#options.orderBy;
    const key = orderBy === undefined ? undefined : orderBy === "key" ? incoming.key : orderBy(incoming);
    return this.#limiter!.run(incoming as IncomingMessage & IncomingMessage[], key);
  }

  #message(incoming: IncomingMessage): ConsumedMessage {
    const path = this.#extract?.(incoming.channel) ?? NO_PATH;
    return new ConsumedMessage(incoming, path);
  }

  async #consume(incoming: IncomingMessage): Promise<void> {
    const message = this.#message(incoming);
    const broker = this.#router.broker;
    const ack = this.#options.ack ?? "auto";
    const context = new MessageContext(broker, this.#logger!, this.channel, message);
    try {
      if (ack === "first") await message.ack();
      await (this.#bare ? this.#run(context) : this.#process!(context));
      if (ack === "auto") await message.ack();
    } catch (error) {
      await this.#fail(message, error);
    }
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
    return this.#codecs!.decode(message.raw, message.contentType);
  }

  async #run(context: MessageContext): Promise<unknown> {
    const message = context.message;
    message.body = this.#decode(message);
    const handler = this.#select(message);
    if (this.#options.schema) message.body = await this.#validate(message);
    const broker = this.#router.broker;
    if (broker.testing) {
      handler.mock.record({
        body: message.body as Body,
        channel: message.channel,
        headers: message.headers,
        correlationId: message.correlationId,
      });
    }
    if (this.#retries === 1) {
      const result = await handler.fn(message.body as Body, context as unknown as Context<Path>);
      if (result !== undefined || message.replyTo) await this.#emit(result, message);
      return result;
    }
    return await this.#attempt(async () => {
      const result = await handler.fn(message.body as Body, context as unknown as Context<Path>);
      await this.#emit(result, message);
      return result;
    }, message);
  }

  /** The decoded body, validated by the subscriber's schema. */
  #validate(message: ConsumedMessage): Promise<unknown> {
    return validate(
      this.#options.schema!,
      message.body,
      `Message ${message.messageId} on ${message.channel}`,
    );
  }

  #select(message: ConsumedMessage): Handler<Body, Path, unknown> {
    const handlers = this.#handlers;
    if (handlers.length === 1 && !handlers[0]!.filter) return handlers[0]!;
    for (const handler of handlers) {
      if (!handler.filter || handler.filter(message as unknown as Message<unknown, Path>)) return handler;
    }
    throw new NoHandlerError(
      `No handler of ${this.channel} matches message ${message.messageId}: add a handler without a filter last`,
    );
  }

  async #attempt<T>(work: () => Promise<T>, message: ConsumedMessage): Promise<T> {
    const retry = this.#options.retry;
    const policy = typeof retry === "number" ? { attempts: retry } : retry ?? {};
    const attempts = policy.attempts ?? 1;
    let delay = policy.delay ?? 100;
    for (let attempt = 1;; attempt++) {
      try {
        return await work();
      } catch (error) {
        if (attempt >= attempts || error instanceof NoHandlerError) throw error;
        this.#logger!.warn(`Attempt ${attempt} of ${attempts} failed, retrying in ${delay} ms`, {
          messageId: message.messageId,
          correlationId: message.correlationId,
          error: describeError(error),
        });
        await sleep(delay);
        delay = Math.min(delay * (policy.factor ?? 2), policy.maxDelay ?? 30_000);
      }
    }
  }

  async #emit(result: unknown, message: ConsumedMessage): Promise<void> {
    const broker = this.#router.broker;
    const correlationId = message.correlationId ?? message.messageId;
    if (result !== undefined && this.#publishers.length > 0) {
      for (const target of this.#publishers) {
        if (typeof target === "string") await broker.publish(result, target, { correlationId });
        else await target.publish(result, { correlationId });
      }
    }
    if (message.replyTo) await broker.publish(result, message.replyTo, { correlationId });
  }

  /** Applies the error policy to a message that failed for good. */
  #fail(message: ConsumedMessage, error: unknown): Promise<void> {
    return applyErrorPolicy(message, error, this.#options, this.#router.broker, this.#logger!);
  }

  // ── batches ────────────────────────────────────────────────────────────────────────────────────

  #collect(incoming: IncomingMessage, batch: BatchOptions): Promise<void> {
    return new Promise<void>((done) => {
      this.#buffer.push({ incoming, done });
      if (this.#buffer.length >= batch.size) this.#flush();
      else this.#timer ??= setTimeout(() => this.#flush(), batch.timeout ?? 100);
    });
  }

  #flush(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.#buffer.length === 0) return;
    const items = this.#buffer;
    this.#buffer = [];
    this.#limiter!.run(items.map((i) => i.incoming) as IncomingMessage & IncomingMessage[])
      .finally(() => items.forEach((i) => i.done()));
  }

  async #consumeBatch(incoming: IncomingMessage[]): Promise<void> {
    const messages = incoming.map((i) => this.#message(i));
    const ack = this.#options.ack ?? "auto";
    if (ack === "first") await Promise.all(messages.map((m) => m.ack()));
    const valid: ConsumedMessage[] = [];
    for (const message of messages) {
      try {
        message.body = this.#decode(message);
        if (this.#options.schema) message.body = await this.#validate(message);
        valid.push(message);
      } catch (error) {
        await this.#fail(message, error);
      }
    }
    if (valid.length === 0) return;
    const context = new MessageContext(this.#router.broker, this.#logger!, this.channel, valid[0]!, valid);
    try {
      await this.#process!(context);
      if (ack === "auto") await Promise.all(valid.map((m) => m.ack()));
    } catch (error) {
      if (error instanceof BatchFailure) {
        const failed = new Set(error.failed);
        await Promise.all(
          valid.map((
            m,
            i,
          ) => (failed.has(i) ? this.#fail(m, error.cause ?? error) : ack === "auto" ? m.ack() : undefined)),
        );
      } else {
        await Promise.all(valid.map((m) => this.#fail(m, error)));
      }
    }
  }

  async #runBatch(context: MessageContext): Promise<unknown> {
    const messages = context.batch!;
    const bodies = messages.map((m) => m.body);
    const handler = this.#handlers[0]!;
    if (this.#router.broker.testing) {
      handler.mock.record({
        body: bodies as Body,
        channel: context.message.channel,
        headers: context.message.headers,
        correlationId: context.message.correlationId,
      });
    }
    return await this.#attempt(async () => {
      const result = await handler.fn(bodies as Body, context as unknown as Context<Path>);
      await this.#emit(result, context.message);
      return result;
    }, context.message);
  }
}
