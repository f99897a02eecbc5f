/**
 * Publishers: named outputs with an optional schema, reusable from handlers and from plain code, and a mock
 * for tests.
 *
 * @module
 */

import type { Middleware } from "./middleware.ts";
import { Mock } from "./mock.ts";
import type { PublishOptions } from "./broker.ts";
import type { Router } from "./router.ts";
import { type StandardSchemaV1, validate } from "./schema.ts";

/** Options of a publisher. Plugin publish options (key, exchange, QoS …) go beside these. */
export interface PublisherOptions<S extends StandardSchemaV1 | undefined = undefined> {
  /** Validates every body before it is sent; its input type is the publisher's body type. */
  readonly schema?: S;
  /** Middlewares around this publisher's publishes. */
  readonly middlewares?: readonly Middleware[];
  /** Headers on every message. */
  readonly headers?: Readonly<Record<string, string>>;
  /** A description for the generated docs. */
  readonly description?: string;
  /** Plugin-specific publish options. */
  readonly [option: string]: unknown;
}

/**
 * A named output. Handlers that chain it publish their return value through it; code can call
 * {@linkcode Publisher.publish} directly.
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
export class Publisher<Body = unknown> {
  /** What was published, while a test broker is active. */
  readonly mock: Mock<Body> = new Mock<Body>();
  readonly #router: Router;
  readonly #channel: string;
  readonly #options: PublisherOptions<StandardSchemaV1 | undefined>;

  /** Use `broker.publisher()` or `router.publisher()` instead. */
  constructor(router: Router, channel: string, options: PublisherOptions<StandardSchemaV1 | undefined>) {
    this.#router = router;
    this.#channel = channel;
    this.#options = options;
  }

  /** The full channel, router prefixes included. */
  get channel(): string {
    return this.#router.prefix + this.#channel;
  }

  /** The options it was declared with. */
  get options(): PublisherOptions<StandardSchemaV1 | undefined> {
    return this.#options;
  }

  /** Validates (with a schema) and publishes one body. */
  async publish(body: Body, options: PublishOptions = {}): Promise<void> {
    const broker = this.#router.broker;
    const schema = this.#options.schema;
    const value = schema ? await validate(schema, body, `A body published to ${this.channel}`) : body;
    const { schema: _s, middlewares: _m, description: _d, headers, ...defaults } = this.#options;
    await broker.send(
      value,
      this.channel,
      { ...defaults, ...options, headers: headers ? { ...headers, ...options.headers } : options.headers },
      this.#options.middlewares
        ? [...this.#router.middlewareChain(), ...this.#options.middlewares]
        : this.#router.middlewareChain(),
      this as unknown as Publisher,
    );
  }

  /** Publishes many bodies at once where the driver can (capability `batchPublish`). */
  async publishBatch(bodies: readonly Body[], options: PublishOptions = {}): Promise<void> {
    const schema = this.#options.schema;
    const values = schema
      ? await Promise.all(bodies.map((b) => validate(schema, b, `A body published to ${this.channel}`)))
      : bodies;
    await this.#router.broker.publishBatch(values, this.channel, options);
    if (this.#router.broker.testing) {
      for (const body of bodies) {
        this.mock.record({
          body,
          channel: this.channel,
          headers: options.headers ?? {},
          correlationId: undefined,
        });
      }
    }
  }
}
