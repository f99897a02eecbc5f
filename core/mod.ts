/**
 * Sluice: message-driven services for Deno and Bun. Declare what you consume and what you publish; your
 * code only transforms data. This package has no dependencies and runs on any JavaScript runtime.
 *
 * @example
 * ```ts
 * import { App, memory } from "@sluice/core";
 * const broker = memory();
 * broker.subscriber("users.created").publisher("users.welcomed").handle((user: unknown) => ({ hello: user }));
 * export const app = new App(broker);
 * ```
 *
 * @module
 */

export { App, type AppOptions, type Hook } from "./app.ts";
export {
  Broker,
  type BrokerOptions,
  type PublishOptions,
  RemoteError,
  type Reply,
  type RequestCallOptions,
} from "./broker.ts";
export { type PathParams } from "./channel.ts";
export { bytesCodec, type Codec, Codecs, jsonCodec, textCodec } from "./codec.ts";
export type { Context } from "./context.ts";
export type {
  Capabilities,
  ChannelRules,
  Deliver,
  Driver,
  DriverContext,
  IncomingMessage,
  OutgoingMessage,
  SubscriptionHandle,
  SubscriptionSpec,
} from "./driver.ts";
export {
  BatchFailure,
  ConnectionError,
  DecodeError,
  MessageTooLargeError,
  MissingClientError,
  NotSupportedError,
  OptionError,
  SluiceError,
  StateError,
  TimeoutError,
  UnknownSchemeError,
  ValidationError,
} from "./errors.ts";
export {
  createLogger,
  type LogFields,
  type Logger,
  type LogLevel,
  type LogRecord,
  silentLogger,
} from "./logger.ts";
export type { Message, Settlement } from "./message.ts";
export type { ConsumeMiddleware, Middleware, Publication, PublishMiddleware } from "./middleware.ts";
export { Mock, type MockCall } from "./mock.ts";
export { Publisher, type PublisherOptions } from "./publisher.ts";
export { connect, type Plugin, type PluginLoader, Registry, registry } from "./registry.ts";
export { Router, type RouterOptions } from "./router.ts";
export type { Infer, StandardSchemaV1 } from "./schema.ts";
export {
  type BatchOptions,
  type HandleOptions,
  Handler,
  type HandlerFunction,
  type RetryPolicy,
  Subscriber,
  type SubscriberOptions,
} from "./subscriber.ts";
export { memory } from "./memory/mod.ts";
