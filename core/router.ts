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
import type { Dependency, DepsOf, NoDependencies, Provider } from "./dependency.ts";
import { Scope } from "./_scope.ts";

/** Options of a router. */
export interface RouterOptions<Deps = NoDependencies> {
  /** Put before every channel of this router: `orders.` turns `created` into `orders.created`. */
  readonly prefix?: string;
  /** Middlewares around every subscriber and publisher of this router. */
  readonly middlewares?: readonly Middleware[];
  /**
   * Dependencies every subscriber of this router (and of routers included in it) uses, by their name on
   * `ctx.deps`: `{ db: Db }` types `ctx.deps.db`.
   */
  readonly needs?: { readonly [K in keyof Deps]: Dependency<Deps[K]> };
}

/** The dependencies a subscriber's handlers see: its router's and those of its own `needs`. */
export type SubscriberDeps<RouterDeps, O> = O extends { readonly needs: infer N } ? RouterDeps & DepsOf<N>
  : RouterDeps;

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
export class Router<D extends Driver = Driver, Deps = NoDependencies> {
  readonly #prefix: string;
  readonly #scope: Scope;
  readonly #middlewares: Middleware[];
  readonly #subscribers: Subscriber[] = [];
  readonly #publishers: Publisher<unknown, unknown>[] = [];
  readonly #children: Router<D>[] = [];
  #included = false;
  /** Where the parent sits, and this router with it; undefined until included into a broker. */
  #parent: Mount | undefined;
  #mount: Mount | undefined;

  /** Creates a router; include it into a broker or another router. */
  constructor(options: RouterOptions<Deps> = {}) {
    this.#prefix = options.prefix ?? "";
    this.#middlewares = [...(options.middlewares ?? [])];
    this.#scope = new Scope(this.#prefix ? `router ${this.#prefix}` : "the router");
    if (options.needs) this.#scope.needs = options.needs;
  }

  /**
   * Provides a dependency to everything in this router and the routers included in it: a value, a startup
   * value (made when the broker starts, closed when it stops) or a per-message value. A later call for the
   * same dependency replaces the provider (a test's fake).
   *
   * @example
   * ```ts
   * import { dependency, memory } from "@sluice/core";
   * const Greeting = dependency<string>("greeting");
   * const broker = memory().provide(Greeting, { value: "hello" });
   * broker.subscriber("names", { needs: { greeting: Greeting } })
   *   .handle((name, ctx) => `${ctx.deps.greeting}, ${name}`);
   * ```
   */
  provide<T>(dependency: Dependency<T>, provider: Provider<T>): this {
    this.#scope.provide(dependency, provider);
    return this;
  }

  /** Where this router's dependencies are provided. @internal */
  get scope(): Scope {
    return this.#scope;
  }

  /** The dependency levels of this router and every router included in it. @internal */
  allScopes(): Scope[] {
    return [this.#scope, ...this.#children.flatMap((c) => c.allScopes())];
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
  include<ChildDeps>(router: Router<D, ChildDeps>): this {
    if (router.#included) throw new StateError("A router can be included only once");
    router.#included = true;
    this.#children.push(router as unknown as Router<D>);
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
  ): Subscriber<SubscriberBody<S, O>, PathParams<C>, unknown, SubscriberDeps<Deps, O>> {
    const subscriber = new Subscriber<SubscriberBody<S, O>, PathParams<C>, unknown, SubscriberDeps<Deps, O>>(
      channel,
      options ?? {},
    );
    const list = this.#subscribers;
    list.push(subscriber as unknown as Subscriber);
    subscriber.own(() => {
      const i = list.indexOf(subscriber as unknown as Subscriber);
      if (i !== -1) list.splice(i, 1);
    });
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
    this.#scope.owner = "the broker";
    this.#attach({ port, prefix: "", middlewares: [] });
  }

  #attach(parent: Mount): void {
    const mount: Mount = {
      port: parent.port,
      prefix: parent.prefix + this.#prefix,
      middlewares: [...parent.middlewares, ...this.#middlewares],
      scope: this.#scope,
    };
    // A broker's level keeps its parent (the app's level); a router's is the level it is included in.
    if (parent.scope) this.#scope.parent = parent.scope;
    this.#parent = parent;
    this.#mount = mount;
    for (const subscriber of this.#subscribers) subscriber.attach(mount);
    for (const publisher of this.#publishers) publisher.attach(mount);
    for (const child of this.#children) child.#attach(mount);
  }
}
