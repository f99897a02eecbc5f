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

import { Broker, type Message, type Plugin } from "@sluice/core";
import { type NatsDriver, natsDriver } from "./driver.ts";
import type { KeyValue } from "./kv.ts";
import { type NatsOptions, optionsFromUrl, validateBrokerOptions } from "./options.ts";

export { type NatsDriver, natsDriver } from "./driver.ts";
export { emulation, type NatsEmulation } from "./emulation.ts";
export { NoRespondersError } from "./errors.ts";
export type { KeyValue, KeyValueEntry } from "./kv.ts";
export { KV_BUCKET_HEADER, KV_OPERATION_HEADER, KV_REVISION_HEADER } from "./message.ts";
export type {
  ConsumerOptions,
  KeyValueWatchOptions,
  NatsOptions,
  NatsPublishOptions,
  NatsSubscribeOptions,
  NatsTlsOptions,
  StreamOptions,
} from "./options.ts";
export { natsRules } from "./rules.ts";

/** A broker on NATS, with key-value buckets beside the core's API. */
export class NatsBroker extends Broker<NatsDriver> {
  /**
   * A key-value bucket (created when missing), for handlers that read or write state. Values are JSON, or
   * bytes as they are. Under `testBroker()` it is the emulation's bucket.
   *
   * @example
   * ```ts
   * import { nats } from "@sluice/nats";
   * const broker = nats();
   * broker.subscriber("visits").handle(async (user: string) => {
   *   const counts = await broker.kv("visits");
   *   const seen = (await counts.get(user))?.value as number | undefined;
   *   await counts.put(user, (seen ?? 0) + 1);
   * });
   * ```
   */
  kv(bucket: string): Promise<KeyValue> {
    return this.driver.kv(bucket);
  }
}

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
  validateBrokerOptions(options as Record<string, unknown>);
  return new NatsBroker(natsDriver(options), options);
}

/**
 * Tells JetStream the handler of this message is still working, so it does not redeliver it when the ack
 * wait runs out. Does nothing on core NATS and key-value messages.
 *
 * @example
 * ```ts
 * import { nats, working } from "@sluice/nats";
 * const broker = nats({ jetstream: true });
 * broker.subscriber("videos.encode", { consumer: { ackWait: 10_000 } }).handle(async (_video, ctx) => {
 *   working(ctx.message); // before each long step
 * });
 * ```
 */
export function working(message: Message): void {
  const native = message.native as { working?: () => void; info?: unknown } | undefined;
  if (native && typeof native.working === "function" && native.info !== undefined) native.working();
}

/** The `nats:` plugin for `connect("nats://user:pass@host:4222")` (`?tls=true` for TLS). */
export const plugin: Plugin = {
  schemes: ["nats"],
  create: (url, options) => nats({ ...optionsFromUrl(url), ...options } as NatsOptions),
};
