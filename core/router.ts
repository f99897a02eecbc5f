/**
 * Routers group subscribers and publishers under a channel prefix with their own middlewares, and nest.
 * A broker is itself the root router.
 *
 * @module
 */

import type { Driver, SubscribeOptionsOf } from "./driver.ts";
import { StateError } from "./errors.ts";
import type { Middleware } from "./middleware.ts";
import { Publisher, type PublisherOptions } from "./publisher.ts";
import type { InferIn, StandardSchemaV1 } from "./schema.ts";
import { Subscriber, type SubscriberBody, type SubscriberOptions } from "./subscriber.ts";
import type { PathParams } from "./channel.ts";
import type { Broker } from "./broker.ts";

/** Bumped whenever any router's middlewares or nesting change, so cached chains know to rebuild. */
let generation = 0;

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
  readonly #publishers: Publisher[] = [];
  readonly #children: Router[] = [];
  #parent: Router | undefined;
  #chain: readonly Middleware[] = [];
  #chainGeneration = -1;

  /** Creates a router; include it into a broker or another router. */
  constructor(options: RouterOptions = {}) {
    this.#prefix = options.prefix ?? "";
    this.#middlewares = [...(options.middlewares ?? [])];
  }

  /** The full prefix, parents' prefixes included. */
  get prefix(): string {
    return (this.#parent?.prefix ?? "") + this.#prefix;
  }

  /** The broker this router belongs to; throws if it was never included into one. */
  get broker(): Broker {
    if (this.#parent) return this.#parent.broker;
    throw new StateError(
      `Router "${this.#prefix}" is not included into a broker: call broker.include(router)`,
    );
  }

  /** Middlewares from the broker down to this router, outermost first. */
  middlewareChain(): readonly Middleware[] {
    // Cached per generation: publishing walks this on every message, and it changes only by use/include.
    if (this.#chainGeneration !== generation) {
      this.#chain = [...(this.#parent?.middlewareChain() ?? []), ...this.#middlewares];
      this.#chainGeneration = generation;
    }
    return this.#chain;
  }

  /** Adds middlewares around everything in this router. */
  use(...middlewares: Middleware[]): this {
    generation++;
    this.#middlewares.push(...middlewares);
    return this;
  }

  /** Includes a router: its channels get this router's prefix, its middlewares run inside this router's. */
  include(router: Router<D>): this {
    if (router.#parent) throw new StateError("A router can be included only once");
    router.#parent = this;
    generation++;
    this.#children.push(router);
    return this;
  }

  /**
   * Declares a subscriber on `channel`, which may have `{name}` path parameters. Add handlers to it with
   * `.handle()`.
   */
  subscriber<
    const C extends string,
    S extends StandardSchemaV1 | undefined = undefined,
    const O extends SubscriberOptions<S> = SubscriberOptions<S>,
  >(
    channel: C,
    options?: O & { readonly schema?: S } & Partial<SubscribeOptionsOf<D>>,
  ): Subscriber<SubscriberBody<S, O>, PathParams<C>> {
    const subscriber = new Subscriber<SubscriberBody<S, O>, PathParams<C>>(this, channel, options ?? {});
    this.#subscribers.push(subscriber as unknown as Subscriber);
    return subscriber;
  }

  /** Declares a publisher on `channel`. */
  publisher<S extends StandardSchemaV1 | undefined = undefined>(
    channel: string,
    options?: PublisherOptions<S>,
  ): Publisher<S extends StandardSchemaV1 ? InferIn<S> : unknown> {
    const publisher = new Publisher<S extends StandardSchemaV1 ? InferIn<S> : unknown>(
      this,
      channel,
      (options ?? {}) as PublisherOptions<StandardSchemaV1 | undefined>,
    );
    this.#publishers.push(publisher as Publisher);
    return publisher;
  }

  /** Every subscriber of this router and the routers included in it. */
  allSubscribers(): Subscriber[] {
    return [...this.#subscribers, ...this.#children.flatMap((c) => c.allSubscribers())];
  }

  /** Every publisher of this router and the routers included in it. */
  allPublishers(): Publisher[] {
    return [...this.#publishers, ...this.#children.flatMap((c) => c.allPublishers())];
  }
}
