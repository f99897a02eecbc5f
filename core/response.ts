/**
 * Responses: a handler returns one to set the headers, correlation id, content type and the broker's own
 * publish options of what its return value becomes — the reply to a request and the message its chained
 * publishers send — as FastStream's `Response` and per-broker `*Response` do. Each plugin exports a
 * typed one (`kafkaResponse`, `natsResponse` …) whose options are its publish options.
 *
 * @module
 */

import type { PublishOptions } from "./publish_options.ts";

/** What a handler returns instead of a bare body to say how it is sent. Make one with {@linkcode response}. */
export class HandlerResponse<Body = unknown, Options = Readonly<Record<string, unknown>>> {
  /** The body sent. */
  readonly body: Body;
  /** The core's publish options (headers, correlation id …) and the broker's own, side by side. */
  readonly options: PublishOptions & Options;

  /** Use {@linkcode response} or a plugin's typed one. */
  constructor(body: Body, options: PublishOptions & Options) {
    this.body = body;
    this.options = options;
  }
}

/**
 * A response of `body` with publish options: the consumed message's correlation id is kept unless
 * `correlationId` is given; `headers` are added to the reply's and the published result's.
 *
 * @example
 * ```ts
 * import { memory, response } from "@sluice/core";
 * const broker = memory();
 * broker.subscriber("prices").handle((item) =>
 *   response({ item, price: 3 }, { headers: { "x-currency": "EUR" } })
 * );
 * ```
 */
export function response<Body, Options = Readonly<Record<string, unknown>>>(
  body: Body,
  options: PublishOptions & Options = {} as PublishOptions & Options,
): HandlerResponse<Body, Options> {
  return new HandlerResponse(body, options);
}
