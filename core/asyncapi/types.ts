/**
 * The shape of an AsyncAPI 3.0.0 document, as far as `asyncapi()` writes it and `diff()` reads it. Every
 * object is plain JSON; `x-` keys are specification extensions.
 *
 * @module
 */

/** A JSON Schema, as a validator's Standard JSON Schema converter produced it. */
export type JsonSchema = { readonly [key: string]: unknown };

/** A JSON pointer into the document: `{ $ref: "#/channels/orders" }`. */
export interface Reference {
  /** The pointer. */
  readonly $ref: string;
}

/** AsyncAPI bindings keyed by protocol. */
export type Bindings = { readonly [protocol: string]: unknown };

/** The document's `info`: what the app is. */
export interface AsyncApiInfo {
  /** The app's name; `Sluice app` by default. */
  readonly title?: string;
  /** The version of the app's API (not of AsyncAPI); `0.1.0` by default. */
  readonly version?: string;
  /** What the app does (CommonMark). */
  readonly description?: string;
  /** A URL of the terms of service. */
  readonly termsOfService?: string;
  /** Who to contact. */
  readonly contact?: { readonly name?: string; readonly url?: string; readonly email?: string };
  /** The API's licence. */
  readonly license?: { readonly name: string; readonly url?: string };
  /** Tags that group the API. */
  readonly tags?: readonly { readonly name: string; readonly description?: string }[];
  /** More documentation. */
  readonly externalDocs?: { readonly url: string; readonly description?: string };
}

/** A server: one broker. */
export interface ServerObject {
  readonly host: string;
  readonly protocol: string;
  readonly protocolVersion?: string;
  readonly pathname?: string;
  readonly description?: string;
  readonly bindings?: Bindings;
}

/** A channel parameter: one `{name}` of the address. */
export interface ParameterObject {
  readonly description?: string;
  readonly enum?: readonly string[];
  readonly default?: string;
  readonly location?: string;
}

/** A channel: an address on one server, and the messages that travel on it. */
export interface ChannelObject {
  /** The address, with `{name}` parameters; null for a reply address only known at run time. */
  readonly address: string | null;
  readonly title?: string;
  readonly description?: string;
  readonly servers?: readonly Reference[];
  readonly parameters?: { readonly [name: string]: ParameterObject };
  readonly messages?: { readonly [id: string]: Reference | MessageObject };
  readonly bindings?: Bindings;
}

/** A message: its payload and headers as JSON Schemas, its content type and correlation id. */
export interface MessageObject {
  readonly name?: string;
  readonly title?: string;
  readonly summary?: string;
  readonly description?: string;
  readonly contentType?: string;
  readonly payload?: JsonSchema | Reference;
  readonly headers?: JsonSchema | Reference;
  readonly correlationId?: { readonly location: string; readonly description?: string };
  readonly bindings?: Bindings;
}

/** Where a reply goes and what it holds. */
export interface OperationReply {
  readonly address?: { readonly location: string; readonly description?: string };
  readonly channel?: Reference;
  readonly messages?: readonly Reference[];
}

/** An operation: the app receives (a subscriber) or sends (a publisher) on a channel. */
export interface OperationObject {
  readonly action: "send" | "receive";
  readonly channel: Reference;
  readonly title?: string;
  readonly summary?: string;
  readonly description?: string;
  readonly messages?: readonly Reference[];
  readonly reply?: OperationReply;
  readonly bindings?: Bindings;
  /** Set on batch subscribers: the largest batch and how long a batch waits to fill, in ms. */
  readonly "x-sluice-batch"?: { readonly size: number; readonly timeout: number };
}

/** An AsyncAPI 3.0.0 document. */
export interface AsyncApiDocument {
  readonly asyncapi: "3.0.0";
  readonly id?: string;
  readonly info: Required<Pick<AsyncApiInfo, "title" | "version">> & AsyncApiInfo;
  readonly defaultContentType?: string;
  readonly servers?: { readonly [id: string]: ServerObject };
  readonly channels?: { readonly [id: string]: ChannelObject };
  readonly operations?: { readonly [id: string]: OperationObject };
  readonly components?: {
    readonly schemas?: { readonly [id: string]: JsonSchema };
    readonly messages?: { readonly [id: string]: MessageObject };
  };
}
