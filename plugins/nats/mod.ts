/**
 * `@sluice/nats`: Sluice on NATS with `@nats-io/transport-node`, `@nats-io/jetstream` and `@nats-io/kv`.
 * Core subjects with `*`/`>` wildcards and path parameters, queue groups, headers and native request/reply;
 * JetStream streams and durable consumers (pull, fetch or push) with ack, nak with delay, term and
 * `working()`; publishing with a message id for de-duplication; key-value watches; token, user/password,
 * NKey and credentials authentication and TLS. `testBroker()` runs it all in a faithful in-memory emulation.
 *
 * @example
 * ```ts
 * import { nats } from "@sluice/nats";
 *
 * const broker = nats({ servers: "nats://127.0.0.1:4222" });
 * broker.subscriber("logs.{level}").handle((line, ctx) => console.log(ctx.path.level, line));
 * broker.subscriber("orders.created", { stream: { name: "ORDERS", subjects: ["orders.>"] }, group: "billing" })
 *   .handle((order) => console.log("bill", order));
 * ```
 *
 * @module
 */

import { type HandlerResponse, type PublishOptions, response } from "@sluice/core";
import type { NatsPublishOptions as NatsPublishOptionsOfResponse } from "./options.ts";
import type { Plugin } from "@sluice/core";
import { NatsBroker } from "./_broker.ts";
import { natsDriver } from "./driver.ts";
import { natsEmulation } from "./emulation.ts";
import { type NatsOptions, optionsFromUrl } from "./options.ts";

export { NatsBroker } from "./_broker.ts";
export { type NatsDriver, natsDriver } from "./driver.ts";
export { type NatsEmulation, natsEmulation } from "./emulation.ts";
export { NoRespondersError } from "./_errors.ts";
export type { KeyValue, KeyValueEntry } from "./_kv.ts";
export {
  OBJ_BUCKET_HEADER,
  OBJ_OPERATION_HEADER,
  OBJ_SIZE_HEADER,
  type ObjectChange,
  type ObjectStore,
} from "./_objects.ts";
export { KV_BUCKET_HEADER, KV_OPERATION_HEADER, KV_REVISION_HEADER, working } from "./message.ts";
export {
  brokerOptions,
  type ConsumerOptions,
  type KeyValueWatchOptions,
  type NatsOptions,
  type NatsPublishOptions,
  type NatsSubscribeOptions,
  type NatsTlsOptions,
  type ObjectWatchOptions,
  optionsFromUrl,
  publishOptions,
  type StreamOptions,
  subscribeOptions,
} from "./options.ts";
export { features, natsRules } from "./rules.ts";

/**
 * Creates a NATS broker (not connected). Options are validated at once.
 *
 * @example
 * ```ts
 * import { nats } from "@sluice/nats";
 * const broker = nats({ servers: "nats://127.0.0.1:4222", jetstream: true });
 * ```
 */
export function nats(options: NatsOptions = {}): NatsBroker {
  return new NatsBroker(natsDriver(options), options, () => natsEmulation(options));
}

/** The `nats:` plugin for `connect("nats://user:pass@host:4222")` (`?tls=true` for TLS). */
export const plugin: Plugin = {
  schemes: ["nats"],
  create: (url, options) => nats({ ...optionsFromUrl(url), ...options } as NatsOptions),
};

/**
 * A handler's response with Nats publish options (JetStream de-duplication and expectations) for its reply and published result,
 * as FastStream's `NatsResponse` does.
 *
 * @example
 * ```ts
 * import { natsResponse } from "@sluice/nats";
 * const handler = (order: { id: string }) => natsResponse(order, { headers: { "x-source": "orders" } });
 * ```
 */
export function natsResponse<Body>(
  body: Body,
  options: PublishOptions & NatsPublishOptionsOfResponse = {},
): HandlerResponse<Body, NatsPublishOptionsOfResponse> {
  return response(body, options);
}
