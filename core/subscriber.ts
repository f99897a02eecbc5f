/**
 * Subscribers: a channel, its options, one or more handlers, and where their results go. A subscriber is a
 * declaration; once its router is included into a broker it knows its port, and `start()` runs it.
 *
 * @module
 */

import type { Context } from "./context.ts";
import { OptionError, StateError } from "./errors.ts";
import type { Message } from "./message.ts";
import { Mock } from "./mock.ts";
import type { BatchOptions, SubscriberOptions } from "./options.ts";
import type { Publisher } from "./publisher.ts";
import type { Infer } from "./schema.ts";
import { Consumer } from "./_consumer.ts";
import type { HandlerEntry } from "./_handlers.ts";
import type { ResultTarget } from "./_emit.ts";
import type { Mount } from "./port.ts";
import type { NoDependencies } from "./dependency.ts";
import type { HandlerResponse } from "./response.ts";

/** The body type of a subscriber's handler: the schema's output, as an array for a batch subscriber. */
export type SubscriberBody<S, O> = O extends { readonly batch: number | BatchOptions } ? Infer<S>[]
  : Infer<S>;

/** Options of one handler. */
export interface HandleOptions<Path> {
  /** Picks the messages for this handler; the first handler whose filter passes wins, one without is a catch-all. */
  readonly filter?: (message: Message<unknown, Path>) => boolean;
}

/** A handler function: gets the body and the context, returns what chained publishers publish. */
export type HandlerFunction<Body, Path, Result, Deps = NoDependencies> = (
  body: Body,
  context: Context<Path, Deps>,
) => Result | Promise<Result>;

/** A registered handler, with a mock of what it received. */
export class Handler<
  Body = unknown,
  Path = Readonly<Record<string, string>>,
  Result = unknown,
  Deps = NoDependencies,
> {
  /** What it received, while a test broker is active. */
  readonly mock: Mock<Body> = new Mock<Body>();
  /** The subscriber it belongs to. */
  readonly subscriber: Subscriber<Body, Path, unknown, Deps>;
  /** The function. */
  readonly fn: HandlerFunction<Body, Path, Result, Deps>;
  /** Its filter, if any. */
  readonly filter: ((message: Message<unknown, Path>) => boolean) | undefined;

  /** Use `subscriber.handle()`. */
  constructor(
    subscriber: Subscriber<Body, Path, unknown, Deps>,
    fn: HandlerFunction<Body, Path, Result, Deps>,
    filter: ((message: Message<unknown, Path>) => boolean) | undefined,
  ) {
    this.subscriber = subscriber;
    this.fn = fn;
    this.filter = filter;
  }
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
export class Subscriber<
  Body = unknown,
  Path = Readonly<Record<string, string>>,
  Out = unknown,
  Deps = NoDependencies,
> {
  readonly #template: string;
  readonly #options: SubscriberOptions;
  readonly #handlers: Handler<Body, Path, unknown, Deps>[] = [];
  readonly #publishers: (Publisher | string)[] = [];
  #mount: Mount | undefined;
  #consumer: Consumer | undefined;
  #leave: (() => void) | undefined;
  #removed = false;

  /** Use `broker.subscriber()` or `router.subscriber()`. */
  constructor(template: string, options: SubscriberOptions) {
    this.#template = template;
    this.#options = options;
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
    return (this.#mount?.prefix ?? "") + this.#template;
  }

  /** The options it was declared with. */
  get options(): SubscriberOptions {
    return this.#options;
  }

  /** Its handlers, in the order they were added. */
  get handlers(): readonly Handler<Body, Path, unknown, Deps>[] {
    return this.#handlers;
  }

  /** Channels (or publishers) that receive each handler's result. */
  get publishers(): readonly (Publisher | string)[] {
    return this.#publishers;
  }

  /** Whether it is consuming. */
  get running(): boolean {
    return this.#consumer !== undefined;
  }

  /** Messages handed over and not yet settled. */
  get inFlight(): number {
    return this.#consumer?.inFlight ?? 0;
  }

  /** Where it sits; set when its router is included into a broker. @internal */
  attach(mount: Mount): void {
    this.#mount = mount;
  }

  /**
   * Publishes every handler's return value to `target` (a channel or a publisher), with the consumed
   * message's correlation id. Chain several to fan out.
   */
  publisher<B, O>(target: Publisher<B, O>): Subscriber<Body, Path, B, Deps>;
  publisher(target: string): Subscriber<Body, Path, Out, Deps>;
  publisher(target: Publisher<unknown, unknown> | string): Subscriber<Body, Path, unknown, Deps> {
    this.#publishers.push(target as Publisher | string);
    return this as unknown as Subscriber<Body, Path, unknown, Deps>;
  }

  /**
   * Adds a handler. Its return value is published to the chained publishers and replied to a request; a
   * {@linkcode HandlerResponse} (from `response()`) sets the headers, correlation id and broker options of
   * both. Handlers are tried in order: the first whose `filter` passes gets the message; add the
   * catch-all (no filter) last.
   */
  handle<R extends Out | HandlerResponse<Out, unknown>>(
    fn: HandlerFunction<Body, Path, R, Deps>,
    options: HandleOptions<Path> = {},
  ): Handler<Body, Path, R, Deps> {
    if (this.#options.batch !== undefined && this.#handlers.length > 0) {
      throw new OptionError(`Batch subscriber ${this.channel} takes one handler`);
    }
    const handler = new Handler<Body, Path, R, Deps>(this, fn, options.filter);
    this.#handlers.push(handler as unknown as Handler<Body, Path, unknown, Deps>);
    return handler;
  }

  /** How its router forgets it, for {@linkcode Subscriber.remove}. @internal */
  own(leave: () => void): void {
    this.#leave = leave;
  }

  /** Throws a `DependencyError` naming the first dependency it needs that nothing above it provides. @internal */
  checkDependencies(): void {
    const scope = this.#mount?.scope;
    const needs = scope ? { ...scope.allNeeds(), ...this.#options.needs } : this.#options.needs;
    if (!needs || Object.keys(needs).length === 0) return;
    if (!scope) return;
    scope.check(needs, `Subscriber ${this.channel}`);
  }

  /** Starts consuming (the broker calls this on start; call it for a subscriber added later). */
  async start(): Promise<void> {
    if (this.#consumer) return;
    const mount = this.#mount;
    if (!mount) {
      throw new StateError(
        `Subscriber ${this.channel} is not included into a broker: call broker.include(router)`,
      );
    }
    if (this.#removed) {
      throw new StateError(`Subscriber ${this.channel} was removed: declare a new one to subscribe again`);
    }
    if (this.#handlers.length === 0) {
      throw new OptionError(`Subscriber ${this.channel} has no handler: add one with .handle()`);
    }
    const consumer = new Consumer({
      channel: this.channel,
      options: this.#options,
      handlers: this.#handlers as unknown as readonly HandlerEntry[],
      targets: this.#publishers as unknown as readonly ResultTarget[],
      mount: this.#withDependencies(mount),
    });
    this.#consumer = consumer;
    try {
      await consumer.start();
    } catch (error) {
      this.#consumer = undefined;
      throw error;
    }
  }

  /**
   * The mount the consumer runs in: with a subscriber that needs dependencies, the middleware that sets
   * `ctx.deps` goes outermost, so that every consume middleware sees them; without, the mount as it is.
   */
  #withDependencies(mount: Mount): Mount {
    const scope = mount.scope;
    if (!scope) return mount;
    const needs = { ...scope.allNeeds(), ...this.#options.needs };
    const middleware = scope.middleware(needs, `Subscriber ${this.channel}`);
    return middleware ? { ...mount, middlewares: [middleware, ...mount.middlewares] } : mount;
  }

  /**
   * Stops consuming (letting what is in flight finish, up to `timeout` ms) and removes the subscriber from
   * its router: the broker no longer starts it, and the generated docs no longer show it. The way to
   * unsubscribe a subscriber added while the app runs.
   *
   * @example
   * ```ts
   * import { memory } from "@sluice/core";
   * const broker = memory();
   * await broker.start();
   * const tenant = broker.subscriber("tenant.42");
   * tenant.handle((event) => console.log(event));
   * await tenant.start();
   * await tenant.remove();
   * await broker.close();
   * ```
   */
  async remove(timeout = 30_000): Promise<void> {
    this.#removed = true;
    this.#leave?.();
    this.#leave = undefined;
    await this.stop(timeout);
  }

  /** Stops taking new messages and waits for those in flight, up to `timeout` ms. */
  async stop(timeout = 30_000): Promise<void> {
    const consumer = this.#consumer;
    if (!consumer) return;
    try {
      await consumer.stop(timeout);
    } finally {
      this.#consumer = undefined;
    }
  }
}
