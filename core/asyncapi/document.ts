/**
 * `asyncapi(app)`: the AsyncAPI 3.0.0 document of an app, derived from what it declares — never written by
 * hand, so it cannot drift from the code.
 *
 * @module
 */

import type { App } from "../app.ts";
import type { Broker } from "../broker.ts";
import { paramNames } from "../channel.ts";
import type { DocsBindings, DriverDocs } from "../driver.ts";
import { describeError } from "../errors.ts";
import { type AnyEndpoint, type Endpoint, endpointsOf, type MessageSpec } from "./_endpoints.ts";
import { Ids, keyOf, pointer, stableJson } from "./_names.ts";
import { contentTypeOf, convert, Schemas } from "./_payload.ts";
import { serverOf } from "./_server.ts";
import type {
  AsyncApiDocument,
  AsyncApiInfo,
  ChannelObject,
  MessageObject,
  OperationObject,
  Reference,
  ServerObject,
} from "./types.ts";

/** Options of {@linkcode asyncapi}. */
export interface AsyncApiOptions {
  /** The document's `id`, a URI that names the app, e.g. `urn:example:shop`. */
  readonly id?: string;
  /**
   * Sees each warning (a schema that cannot be converted, whose payload is then left untyped); by default
   * the broker's logger warns.
   */
  readonly onWarning?: (message: string) => void;
}

/** Where the correlation id travels, as FastStream's wire conventions put it. */
const CORRELATION_ID = { location: "$message.header#/correlation_id" } as const;
const REPLY_ADDRESS = {
  location: "$message.header#/reply_to",
  description: "The request's reply_to: the handler's return value is published there.",
} as const;

type Docs = DriverDocs<Readonly<Record<string, unknown>>, Readonly<Record<string, unknown>>>;
/** A driver's bindings of one part, or undefined (also when its docs threw: a warning says so). */
type Describe = (
  part: "channel" | "operation" | "message",
  endpoint: AnyEndpoint,
) => DocsBindings | undefined;
type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/**
 * The AsyncAPI 3.0.0 document of an app, a broker or several brokers; `info` goes over the app's own (`new
 * App(broker, { info })`). One server per broker (protocol and host, never credentials), a channel per address
 * with its `{name}` parameters, a message per declared payload (JSON Schema from the validator through
 * Standard JSON Schema), a `receive` operation per subscriber (with the reply a request gets), a `send`
 * operation per publisher, per channel a handler's return value goes to and per dead-letter channel, and each
 * broker's bindings.
 *
 * @example
 * ```ts
 * import { App, memory } from "@sluice/core";
 * import { asyncapi, toYaml } from "@sluice/core/asyncapi";
 * const broker = memory();
 * broker.subscriber("orders.{region}").handle((order) => order);
 * const document = asyncapi(new App(broker), { title: "Shop", version: "1.0.0" });
 * console.log(toYaml(document));
 * ```
 */
export function asyncapi(
  source: App | Broker | readonly Broker[],
  info: AsyncApiInfo = {},
  options: AsyncApiOptions = {},
): AsyncApiDocument {
  const app = Array.isArray(source) || !("brokers" in source) ? undefined : source as App;
  const brokers: readonly Broker[] = app ? app.brokers : Array.isArray(source) ? source : [source as Broker];
  info = { ...app?.info, ...info };
  const builder = new Builder(options.onWarning);
  for (const broker of brokers) builder.broker(broker);
  return {
    asyncapi: "3.0.0",
    ...(options.id !== undefined ? { id: options.id } : {}),
    info: { ...info, title: info.title ?? "Sluice app", version: info.version ?? "0.1.0" },
    defaultContentType: "application/json",
    servers: builder.servers,
    channels: { ...builder.channels, ...builder.replyChannels },
    operations: builder.operations,
    components: {
      ...(Object.keys(builder.schemas.entries).length > 0 ? { schemas: builder.schemas.entries } : {}),
      messages: builder.messages,
    },
  };
}

function ref(...path: string[]): Reference {
  return { $ref: `#/${path.map(pointer).join("/")}` };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Whether two bindings say nothing contradictory: every value both give is the same. */
function agree(a: unknown, b: unknown): boolean {
  if (a === undefined || b === undefined) return true;
  if (!isObject(a) || !isObject(b)) return stableJson(a) === stableJson(b);
  return Object.keys(a).every((key) => agree(a[key], b[key]));
}

/** What two agreeing bindings say together. */
function union(a: unknown, b: unknown): unknown {
  if (a === undefined) return b;
  if (!isObject(a) || !isObject(b)) return a;
  const out: Record<string, unknown> = { ...b, ...a };
  for (const key of Object.keys(a)) if (key in b) out[key] = union(a[key], b[key]);
  return out;
}

function nonEmpty(bindings: DocsBindings | undefined): { bindings?: DocsBindings } {
  return bindings && Object.keys(bindings).length > 0 ? { bindings } : {};
}

/** Builds the document's maps, broker by broker. */
class Builder {
  readonly servers: Record<string, ServerObject> = {};
  readonly channels: Record<string, Mutable<ChannelObject>> = {};
  /** The reply channels, which go after the others. */
  readonly replyChannels: Record<string, Mutable<ChannelObject>> = {};
  readonly operations: Record<string, OperationObject> = {};
  readonly messages: Record<string, MessageObject> = {};
  readonly schemas: Schemas = new Schemas();
  readonly #serverIds = new Ids();
  readonly #channelIds = new Ids();
  readonly #operationIds = new Ids();
  readonly #messageIds = new Ids("");
  readonly #channelsAt = new Map<string, string[]>();
  readonly #messageByKey = new Map<string, string>();
  readonly #warn: ((message: string) => void) | undefined;

  constructor(warn: ((message: string) => void) | undefined) {
    this.#warn = warn;
  }

  broker(broker: Broker): void {
    const driver = broker.driver;
    const docs = driver.docs as Docs | undefined;
    const serverId = this.#serverIds.take(keyOf(driver.name));
    const server = ref("servers", serverId);
    const warn = this.#warn ?? ((message: string) => broker.logger.warn(message));
    const safely = <T>(what: string, call: () => T): T | undefined => {
      try {
        return call();
      } catch (error) {
        warn(`AsyncAPI: the ${driver.name} bindings of ${what} are left out: ${describeError(error)}`);
        return undefined;
      }
    };
    const describe: Describe = (part, endpoint) =>
      safely(`${endpoint.action} ${endpoint.channel}`, () => docs?.[part]?.(endpoint));
    this.servers[serverId] = serverOf(driver, safely("the server", () => docs?.server?.()));
    let replies: string | undefined;
    for (const declared of endpointsOf(broker)) {
      const channelId = this.#channel(declared.endpoint, describe, server);
      const channel = this.channels[channelId]!;
      const messages = declared.messages.map((spec) => {
        const id = this.#message(spec, describe, warn);
        (channel.messages as Record<string, Reference>)[id] = ref("components", "messages", id);
        return ref("channels", channelId, "messages", id);
      });
      const operation: Mutable<OperationObject> = {
        action: declared.endpoint.action,
        channel: ref("channels", channelId),
        ...(declared.description !== undefined ? { description: declared.description } : {}),
        messages,
        ...nonEmpty(describe("operation", declared.endpoint)),
      };
      if (declared.batch) operation["x-sluice-batch"] = declared.batch;
      if (declared.reply) {
        replies ??= this.#replyChannel(serverId, server);
        operation.reply = this.#reply(declared, replies, describe, warn);
      }
      const id = this.#operationIds.take(`${channelId}.${keyOf(declared.operation)}`);
      this.operations[id] = operation;
    }
  }

  /**
   * The id of the channel an endpoint uses: the server's channel on its address whose bindings agree with the
   * endpoint's (their union becomes the channel's), else a new one — one address on two RabbitMQ exchanges
   * is two channels.
   */
  #channel(endpoint: AnyEndpoint, describe: Describe, server: Reference): string {
    const bindings = describe("channel", endpoint);
    const key = `${server.$ref}\0${endpoint.channel}`;
    const candidates = this.#channelsAt.get(key) ?? [];
    this.#channelsAt.set(key, candidates);
    for (const id of candidates) {
      const channel = this.channels[id]!;
      if (!agree(channel.bindings, bindings)) continue;
      const merged = union(channel.bindings, bindings) as DocsBindings | undefined;
      if (merged && Object.keys(merged).length > 0) channel.bindings = merged;
      return id;
    }
    const id = this.#channelIds.take(keyOf(endpoint.channel));
    candidates.push(id);
    const params = paramNames(endpoint.channel);
    this.channels[id] = {
      address: endpoint.channel,
      servers: [server],
      ...(params.length > 0 ? { parameters: Object.fromEntries(params.map((name) => [name, {}])) } : {}),
      messages: {},
      ...nonEmpty(bindings),
    };
    return id;
  }

  /** The id of the component message of a spec, added unless an equal one is there. */
  #message(spec: MessageSpec, describe: Describe, warn: (message: string) => void): string {
    let payload: Reference | undefined;
    let contentType: string | undefined;
    if (spec.schema) {
      const converted = convert(spec.schema, spec.io);
      if (converted.problem !== undefined) {
        warn(
          `AsyncAPI: the schema of ${spec.owner} is documented as an untyped payload: ${converted.problem}`,
        );
      } else if (Object.keys(converted.schema).some((k) => k !== "$schema")) {
        payload = ref("components", "schemas", this.schemas.add(converted.schema, spec.base));
        contentType = contentTypeOf(converted.schema);
      }
    }
    const bindings = spec.via ? describe("message", spec.via) : undefined;
    const message: MessageObject = {
      ...(spec.title !== undefined ? { title: spec.title } : {}),
      ...(spec.summary !== undefined ? { summary: spec.summary } : {}),
      ...(contentType !== undefined ? { contentType } : {}),
      ...(payload !== undefined ? { payload } : {}),
      ...(spec.headers !== undefined ? { headers: spec.headers } : {}),
      correlationId: CORRELATION_ID,
      ...nonEmpty(bindings),
    };
    const key = `${spec.base}\0${stableJson(message)}`;
    const known = this.#messageByKey.get(key);
    if (known) return known;
    const id = this.#messageIds.take(spec.base);
    this.#messageByKey.set(key, id);
    this.messages[id] = { name: id, ...message };
    return id;
  }

  /** The channel of a server's replies, whose address each request names at run time. */
  #replyChannel(serverId: string, server: Reference): string {
    const id = this.#channelIds.take(`${serverId}.replies`);
    this.replyChannels[id] = {
      address: null,
      description:
        "Replies to requests: each is published to its request's reply_to, with its correlation_id.",
      servers: [server],
      messages: {},
    };
    return id;
  }

  #reply(
    declared: Endpoint,
    channelId: string,
    describe: Describe,
    warn: (message: string) => void,
  ): OperationObject["reply"] {
    const channel = this.replyChannels[channelId]!;
    const messages = declared.reply!.map((spec) => {
      const id = this.#message(spec, describe, warn);
      (channel.messages as Record<string, Reference>)[id] = ref("components", "messages", id);
      return ref("channels", channelId, "messages", id);
    });
    return { address: REPLY_ADDRESS, channel: ref("channels", channelId), messages };
  }
}
