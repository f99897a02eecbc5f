/**
 * Publishers: named outputs with an optional schema, reusable from handlers and from plain code, and a mock
 * for tests.
 *
 * @module
 */

import type { Context } from "./context.ts";
import { StateError } from "./errors.ts";
import type { Middleware } from "./middleware.ts";
import { Mock } from "./mock.ts";
import { CORE_PUBLISHER_OPTIONS, type PublisherOptions, withoutCore } from "./options.ts";
import type { PublishOptions } from "./publish_options.ts";
import { type StandardSchemaV1, validate } from "./schema.ts";
import type { Mount } from "./port.ts";

/**
 * A named output. Handlers that chain it publish their return value through it; code can call
 * {@linkcode Publisher.publish} directly. `Options` are the broker's own publish options.
 *
 * @example
 * ```ts
 * import { memory } from "@sluice/core";
 * const broker = memory();
 * const audit = broker.publisher("audit");
 * await broker.connect();
 * await audit.publish({ event: "login" });
 * await broker.close();
 * ```
 */
export class Publisher<Body = unknown, Options = Readonly<Record<string, unknown>>> {
  /** What was published, while a test broker is active. */
  readonly mock: Mock<Body> = new Mock<Body>();
  readonly #channel: string;
  readonly #options: PublisherOptions<StandardSchemaV1 | undefined> & Options;
  /** The plugin's publish options given to the publisher: defaults of every publish. */
  readonly #defaults: Readonly<Record<string, unknown>>;
  #mount: Mount | undefined;
  #middlewares: readonly Middleware[] = [];

  /** Use `broker.publisher()` or `router.publisher()` instead. */
  constructor(channel: string, options: PublisherOptions<StandardSchemaV1 | undefined> & Options) {
    this.#channel = channel;
    this.#options = options;
    this.#defaults = withoutCore(options, CORE_PUBLISHER_OPTIONS);
  }

  /** The full channel, router prefixes included. */
  get channel(): string {
    return (this.#mount?.prefix ?? "") + this.#channel;
  }

  /** The options it was declared with. */
  get options(): PublisherOptions<StandardSchemaV1 | undefined> & Options {
    return this.#options;
  }

  /** Where it sits; set when its router is included into a broker. @internal */
  attach(mount: Mount): void {
    this.#mount = mount;
    this.#middlewares = this.#options.middlewares
      ? [...mount.middlewares, ...this.#options.middlewares]
      : mount.middlewares;
  }

  /** Validates (with a schema) and publishes one body. */
  publish(body: Body, options: PublishOptions & Partial<Options> = {}): Promise<void> {
    return this.send(body, options, undefined);
  }

  /** Publishes for `origin`, the context of a consumed message: a handler's result. @internal */
  async send(
    body: Body,
    options: PublishOptions & Partial<Options>,
    origin: Context | undefined,
  ): Promise<void> {
    const mount = this.#mounted();
    const schema = this.#options.schema;
    const value = schema ? await validate(schema, body, `A body published to ${this.channel}`) : body;
    const headers = this.#options.headers;
    await mount.port.send(
      value,
      this.channel,
      {
        ...this.#defaults,
        ...options,
        headers: headers ? { ...headers, ...options.headers } : options.headers,
      } as PublishOptions,
      this.#middlewares,
      this.mock as Mock<unknown>,
      origin,
    );
  }

  /** Publishes many bodies at once where the driver can. */
  async publishBatch(
    bodies: readonly Body[],
    options: PublishOptions & Partial<Options> = {},
  ): Promise<void> {
    const mount = this.#mounted();
    const schema = this.#options.schema;
    const values = schema
      ? await Promise.all(bodies.map((b) => validate(schema, b, `A body published to ${this.channel}`)))
      : bodies;
    const headers = this.#options.headers;
    await mount.port.sendBatch(
      values,
      this.channel,
      {
        ...this.#defaults,
        ...options,
        headers: headers ? { ...headers, ...options.headers } : options.headers,
      } as PublishOptions,
      this.mock as Mock<unknown>,
    );
  }

  #mounted(): Mount {
    if (this.#mount) return this.#mount;
    throw new StateError(
      `Publisher ${this.#channel} is not included into a broker: call broker.include(router)`,
    );
  }
}
