/**
 * What a publish and a request take, and what a request gives back. Plugins' publish options (a Kafka key,
 * a RabbitMQ exchange, an MQTT QoS …) go beside these, typed by the broker's driver.
 *
 * @module
 */

import type { StandardSchemaV1 } from "./schema.ts";

/** Options of a publish that every broker understands. */
export interface PublishOptions {
  /** User headers. */
  readonly headers?: Readonly<Record<string, string>>;
  /** The correlation id; the message id by default. */
  readonly correlationId?: string;
  /** The message id; a new one by default. */
  readonly messageId?: string;
  /** Where a reply should go. */
  readonly replyTo?: string;
  /** The content type; chosen from the body by default. */
  readonly contentType?: string;
}

/** Options of a request that every broker understands. */
export interface RequestCallOptions<S extends StandardSchemaV1 | undefined = undefined>
  extends PublishOptions {
  /** Milliseconds to wait for the reply; the broker's `requestTimeout` by default. */
  readonly timeout?: number;
  /** Validates the reply's body; its output type is the reply's type. */
  readonly schema?: S;
  /** Aborts the wait. */
  readonly signal?: AbortSignal;
}

/** The reply to a request. */
export interface Reply<Body> {
  /** The decoded (and, with a schema, validated) body. */
  readonly body: Body;
  /** The reply's headers. */
  readonly headers: Readonly<Record<string, string>>;
  /** The correlation id, the request's. */
  readonly correlationId: string | undefined;
  /** The reply's content type. */
  readonly contentType: string | undefined;
  /** The bytes as they arrived. */
  readonly raw: Uint8Array;
}

/** The body type of a reply validated by `S`, or `unknown` without a schema. */
export type ReplyBody<S> = S extends StandardSchemaV1 ? StandardSchemaV1.InferOutput<S> : unknown;

/** The names of {@linkcode PublishOptions}: the core keeps these and hands a driver the rest. */
export const CORE_PUBLISH_OPTIONS: readonly (keyof PublishOptions)[] = [
  "headers",
  "correlationId",
  "messageId",
  "replyTo",
  "contentType",
];

/** The names of {@linkcode RequestCallOptions}. */
export const CORE_REQUEST_OPTIONS: readonly (keyof RequestCallOptions)[] = [
  ...CORE_PUBLISH_OPTIONS,
  "timeout",
  "schema",
  "signal",
];
