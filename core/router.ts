/**
 * Routers group subscribers and publishers under a channel prefix with their own middlewares, and nest.
 * A broker is itself the root router. Routers only point down: including a router hands it (and everything
 * in it) its place — the broker's port, the full prefix and the middleware chain.
 *
 * @module
 */

import type { PathParams } from "./channel.ts";
import type { Driver, PublishOptionsOf, SubscribeOptionsOf } from "./driver.ts";
import { StateError } from "./errors.ts";
import type { Middleware } from "./middleware.ts";
import type { PublisherOptions, SubscriberOptions } from "./options.ts";
import { Publisher } from "./publisher.ts";
import type { InferIn, StandardSchemaV1 } from "./schema.ts";
import { Subscriber, type SubscriberBody } from "./subscriber.ts";
import type { BrokerPort, Mount } from "./port.ts";

/** Options of a router. */
export interface RouterOptions {
  /** Put before every channel of this router: `orders.` turns `created` into `orders.created`. */
  readonly prefix?: string;
  /** Middlewares around every subscriber and publisher of this router. */
  readonly middlewares?: readonly Middleware[];
}

/**
 * A group of subscribers and publishers. `D` is the driver type, which types the plugin's options.
 *
 * @example
 * ```ts
 * import { memory, Router } from "@sluice/core";
 * const orders = new Router({ prefix: "orders." });
 * orders.subscriber("created").handle((order) => console.log(order));
 * const broker = memory();
 * broker.include(orders); // subscribes to "orders.created"
 * ```
 */
export class Router<D extends Driver = Driver> {
  readonly #prefix: string;
  readonly #middlewares: Middleware[];
  readonly #subscribers: Subscriber[] = [];
  readonly #publishers: Publisher<unknown, unknown>[] = [];
  readonly #children: Router<D>[] = [];
  #included = false;
  /** Where the parent sits, and this router with it; undefined until included into a broker. */
  #parent: Mount | undefined;
  #mount: Mount | undefined;

  /** Creates a router; include it into a broker or another router. */
  constructor(options: RouterOptions = {}) {
    this.#prefix = options.prefix ?? "";
    this.#middlewares = [...(options.middlewares ?? [])];
  }

  /** The full prefix, parents' prefixes included (its own until it is included into a broker). */
  get prefix(): string {
    return this.#mount?.prefix ?? this.#prefix;
  }

  /** Middlewares from the broker down to this router, outermost first. */
  middlewareChain(): readonly Middleware[] {
    return this.#mount?.middlewares ?? this.#middlewares;
  }

  /** Adds middlewares around everything in this router. */
  use(...middlewares: Middleware[]): this {
    this.#middlewares.push(...middlewares);
    if (this.#parent) this.#attach(this.#parent);
    return this;
  }

  /** Includes a router: its channels get this router's prefix, its middlewares run inside this router's. */
  include(router: Router<D>): this {
    if (router.#included) throw new StateError("A router can be included only once");
    router.#included = true;
    this.#children.push(router);
    if (this.#mount) router.#attach(this.#mount);
    return this;
  }

  /**
   * Declares a subscriber on `channel`, which may have `{name}` path parameters. Add handlers to it with
   * `.handle()`. Options are the core's and the broker's own, side by side.
   */
  subscriber<
    const C extends string,
    S extends StandardSchemaV1 | undefined = undefined,
    const O extends SubscriberOptions<S> = SubscriberOptions<S>,
  >(
    channel: C,
    options?: O & { readonly schema?: S } & SubscribeOptionsOf<D>,
  ): Subscriber<SubscriberBody<S, O>, PathParams<C>> {
    const subscriber = new Subscriber<SubscriberBody<S, O>, PathParams<C>>(channel, options ?? {});
    this.#subscribers.push(subscriber as unknown as Subscriber);
    if (this.#mount) subscriber.attach(this.#mount);
    return subscriber;
  }

  /** Declares a publisher on `channel`; options are the core's and the broker's publish options. */
  publisher<S extends StandardSchemaV1 | undefined = undefined>(
    channel: string,
    options?: PublisherOptions<S> & PublishOptionsOf<D>,
  ): Publisher<S extends StandardSchemaV1 ? InferIn<S> : unknown, PublishOptionsOf<D>> {
    const publisher = new Publisher<S extends StandardSchemaV1 ? InferIn<S> : unknown, PublishOptionsOf<D>>(
      channel,
      (options ?? {}) as PublisherOptions<StandardSchemaV1 | undefined> & PublishOptionsOf<D>,
    );
    this.#publishers.push(publisher as Publisher<unknown, unknown>);
    if (this.#mount) publisher.attach(this.#mount);
    return publisher;
  }

  /** Every subscriber of this router and the routers included in it. */
  allSubscribers(): Subscriber[] {
    return [...this.#subscribers, ...this.#children.flatMap((c) => c.allSubscribers())];
  }

  /** Every publisher of this router and the routers included in it. */
  allPublishers(): Publisher<unknown, unknown>[] {
    return [...this.#publishers, ...this.#children.flatMap((c) => c.allPublishers())];
  }

  /** Makes this router the root of a broker: everything in it, now and later, publishes through `port`. */
  protected mountOn(port: BrokerPort): void {
    this.#included = true;
    this.#attach({ port, prefix: "", middlewares: [] });
  }

  #attach(parent: Mount): void {
    const mount: Mount = {
      port: parent.port,
      prefix: parent.prefix + this.#prefix,
      middlewares: [...parent.middlewares, ...this.#middlewares],
    };
    this.#parent = parent;
    this.#mount = mount;
    for (const subscriber of this.#subscribers) subscriber.attach(mount);
    for (const publisher of this.#publishers) publisher.attach(mount);
    for (const child of this.#children) child.#attach(mount);
  }
}
