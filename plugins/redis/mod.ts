/**
 * `@sluice/redis`: Redis for Sluice on ioredis — Pub/Sub channels and patterns, lists as reliable queues,
 * and streams with consumer groups — registered for `redis://` and `rediss://` URLs. Messages travel in
 * FastStream's binary envelope, so a Python FastStream service on the same Redis reads what Sluice
 * publishes and the other way round.
 *
 * @example
 * ```ts
 * import { redis } from "@sluice/redis";
 *
 * const broker = redis({ url: "redis://127.0.0.1:6379" });
 * broker.subscriber("logs.{level}").handle((line, ctx) => console.log(ctx.path.level, line));
 * broker.subscriber("jobs", { list: true }).handle((job) => console.log("job", job));
 * broker.subscriber("orders", { stream: { group: "billing" } }).handle((order) => console.log(order));
 * ```
 *
 * @module
 */

import { type HandlerResponse, type PublishOptions, response } from "@sluice/core";
import type { RedisPublishOptions as RedisPublishOptionsOfResponse } from "./options.ts";
import { Broker, type Plugin } from "@sluice/core";
import { type RedisDriver, redisDriver } from "./driver.ts";
import { redisEmulation } from "./emulation.ts";
import { optionsFromUrl, type RedisOptions } from "./options.ts";

export { type RedisDriver, redisDriver } from "./driver.ts";
export { type RedisEmulation, redisEmulation } from "./emulation.ts";
export {
  decodeBytes,
  type Decoded,
  encodeEnvelope,
  encodeMessage,
  type Envelope,
  IDENTITY,
  STREAM_FIELD,
} from "./message.ts";
export {
  brokerOptions,
  type ListSubscribeOptions,
  optionsFromUrl,
  publishOptions,
  type PubSubSubscribeOptions,
  type RedisKind,
  type RedisOptions,
  type RedisPublishOptions,
  type RedisSubscribeOptions,
  type StreamPublishOptions,
  type StreamSubscribeOptions,
  subscribeOptions,
  type TlsOptions,
} from "./options.ts";
export { features, isPattern, redisRules } from "./rules.ts";

/**
 * Creates a Redis broker (not yet connected). Options are checked now: a bad one throws an `OptionError`.
 *
 * @example
 * ```ts
 * import { redis } from "@sluice/redis";
 * const broker = redis({ url: "rediss://app:secret@cache.example.com:6380/2" });
 * ```
 */
export function redis(options: RedisOptions = {}): Broker<RedisDriver> {
  return new Broker(redisDriver(options), options, () => redisEmulation(options));
}

/** The plugin behind `connect("redis://…")` and `connect("rediss://…")`. */
export const plugin: Plugin = {
  schemes: ["redis", "rediss"],
  create: (url, options) => redis({ ...options, ...optionsFromUrl(url) }),
};

/**
 * A handler's response with Redis publish options (a list or a stream, and its trimming) for its reply and published result,
 * as FastStream's `RedisResponse` does.
 *
 * @example
 * ```ts
 * import { redisResponse } from "@sluice/redis";
 * const handler = (order: { id: string }) => redisResponse(order, { headers: { "x-source": "orders" } });
 * ```
 */
export function redisResponse<Body>(
  body: Body,
  options: PublishOptions & RedisPublishOptionsOfResponse = {},
): HandlerResponse<Body, RedisPublishOptionsOfResponse> {
  return response(body, options);
}
