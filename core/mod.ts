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
export { Broker, type Substitution } from "./broker.ts";
export { type PathParams } from "./channel.ts";
export { bytesCodec, type Codec, Codecs, jsonCodec, textCodec } from "./codec.ts";
export type { Context } from "./context.ts";
export {
  type Dependency,
  dependency,
  DependencyError,
  type DepsOf,
  type MessageProvider,
  type Needs,
  type NoDependencies,
  type Provider,
  type StartupProvider,
  type Use,
  type ValueProvider,
} from "./dependency.ts";
export type {
  ChannelRules,
  Deliver,
  DocsBindings,
  DocsEndpoint,
  Driver,
  DriverContext,
  DriverDocs,
  Emulation,
  IncomingMessage,
  NoOptions,
  OutgoingMessage,
  PublishOptionsOf,
  RequestOptions,
  RoutingRules,
  SubscribeOptionsOf,
  SubscriptionEvents,
  SubscriptionHandle,
  SubscriptionSpec,
} from "./driver.ts";
export { SETTLED } from "./driver.ts";
export {
  BatchFailure,
  ConnectionError,
  DecodeError,
  EmulationLimitError,
  MessageTooLargeError,
  MissingClientError,
  NoHandlerError,
  NotSupportedError,
  OptionError,
  RemoteError,
  SluiceError,
  StateError,
  TimeoutError,
  UnknownSchemeError,
  ValidationError,
} from "./errors.ts";
export {
  createLogger,
  formatJson,
  type LogFields,
  type LogFormat,
  type Logger,
  type LoggerOptions,
  type LogLevel,
  type LogRecord,
  silentLogger,
} from "./logger.ts";
export type { Message, Settlement } from "./message.ts";
export type {
  ConsumeMiddleware,
  DroppedMessage,
  DroppedMiddleware,
  Middleware,
  Publication,
  PublishMiddleware,
} from "./middleware.ts";
export { Mock, type MockCall } from "./mock.ts";
export {
  type BatchOptions,
  type BrokerOptions,
  CORE_BROKER_OPTIONS,
  CORE_PUBLISHER_OPTIONS,
  CORE_SUBSCRIBER_OPTIONS,
  type PublisherOptions,
  type RetryPolicy,
  type SubscriberOptions,
} from "./options.ts";
export type { Plugin, PluginLoader } from "./plugin.ts";
export {
  CORE_PUBLISH_OPTIONS,
  CORE_REQUEST_OPTIONS,
  type PublishOptions,
  type Reply,
  type ReplyBody,
  type RequestCallOptions,
} from "./publish_options.ts";
export { Publisher } from "./publisher.ts";
export { connect, Registry, registry } from "./registry.ts";
export { HandlerResponse, response } from "./response.ts";
export {
  type ExceptionHandler,
  type ExceptionMiddleware,
  type ExceptionOutcome,
  exceptions,
} from "./exceptions.ts";
export { Router, type RouterOptions, type SubscriberDeps } from "./router.ts";
export { type Infer, type StandardSchemaV1, unchecked } from "./schema.ts";
export {
  type HandleOptions,
  Handler,
  type HandlerFunction,
  Subscriber,
  type SubscriberBody,
} from "./subscriber.ts";
export type { BrokerPort, Mount, Observer } from "./port.ts";
export { memory } from "./memory/mod.ts";
