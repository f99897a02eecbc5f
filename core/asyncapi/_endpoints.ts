/**
 * What a broker declares, read as the generated document needs it: one endpoint per subscriber, per
 * publisher, per channel a handler's return value goes to, and per dead-letter channel, each with its
 * messages.
 *
 * @module
 */

import type { Broker } from "../broker.ts";
import type { DocsEndpoint } from "../driver.ts";
import { ERROR_HEADER } from "../wire.ts";
import { CORE_PUBLISHER_OPTIONS, CORE_SUBSCRIBER_OPTIONS, withoutCore } from "../options.ts";
import type { Publisher } from "../publisher.ts";
import type { StandardSchemaV1 } from "../schema.ts";
import type { Subscriber } from "../subscriber.ts";
import { pascalOf } from "./_names.ts";
import type { JsonSchema } from "./types.ts";

/** Plugin options, untyped: the document builder hands them to the driver's docs as they are. */
type Options = Readonly<Record<string, unknown>>;

/** An endpoint of the driver's docs, with any plugin's options. */
export type AnyEndpoint = DocsEndpoint<Options, Options>;

/** A message as declared: its name, schema and headers. */
export interface MessageSpec {
  /** What its component's name is made from: `UsersCreated`. */
  readonly base: string;
  /** The payload's schema, if declared. */
  readonly schema?: StandardSchemaV1;
  /** `input` for what a subscriber reads, `output` for what a publisher sends. */
  readonly io: "input" | "output";
  /** Who declared it, for warnings: `subscriber users.created`. */
  readonly owner: string;
  readonly title?: string;
  readonly summary?: string;
  /** The headers schema, where headers are declared. */
  readonly headers?: JsonSchema;
  /** The endpoint whose driver bindings the message gets. */
  readonly via?: AnyEndpoint;
}

/** A subscriber or a publish, with its messages and, for a subscriber, the replies it sends. */
export interface Endpoint {
  readonly endpoint: AnyEndpoint;
  /** The operation id's suffix: `receive`, `receive.billing`, `send`. */
  readonly operation: string;
  readonly description?: string;
  readonly messages: readonly MessageSpec[];
  readonly reply?: readonly MessageSpec[];
  readonly batch?: { readonly size: number; readonly timeout: number };
}

/** Every endpoint of a broker: subscribers (with their results and dead letters) first, then publishers. */
export function endpointsOf(broker: Broker): Endpoint[] {
  const endpoints: Endpoint[] = [];
  for (const subscriber of broker.allSubscribers()) endpoints.push(...subscriberEndpoints(subscriber));
  for (const publisher of broker.allPublishers()) endpoints.push(publisherEndpoint(publisher));
  return endpoints;
}

function subscriberEndpoints(subscriber: Subscriber): Endpoint[] {
  const { channel, options, handlers } = subscriber;
  const endpoint: AnyEndpoint = {
    action: "receive",
    channel,
    ...(options.group !== undefined ? { group: options.group } : {}),
    options: withoutCore(options, CORE_SUBSCRIBER_OPTIONS),
  };
  const owner = `subscriber ${channel}`;
  const base = pascalOf(channel);
  const filtered = handlers.length > 1 || handlers.some((h) => h.filter);
  const messages: MessageSpec[] = filtered
    ? handlers.map((handler, i) => {
      const name = handler.fn.name.replace(/^bound /, "");
      const which = `handler ${i + 1} of ${handlers.length}${name ? ` (${name})` : ""}`;
      return {
        base: name ? base + pascalOf(name) : base,
        schema: options.schema,
        io: "input",
        owner,
        title: name || undefined,
        summary: handler.filter
          ? `Handled by ${which}, chosen by its filter`
          : `Handled by ${which}, the catch-all`,
        via: endpoint,
      };
    })
    : [{ base, schema: options.schema, io: "input", owner, via: endpoint }];
  const results: Endpoint[] = [];
  const replies: MessageSpec[] = [];
  for (const target of subscriber.publishers) {
    if (typeof target !== "string") {
      replies.push(publisherMessage(target));
      continue;
    }
    const via: AnyEndpoint = { action: "send", channel: target, options: {} };
    const result: MessageSpec = { base: pascalOf(target), io: "output", owner: `result of ${owner}`, via };
    replies.push(result);
    results.push({
      endpoint: via,
      operation: "send",
      description: `What the handler of ${channel} returns.`,
      messages: [result],
    });
  }
  if (replies.length === 0) replies.push({ base: `${base}Reply`, io: "output", owner: `reply of ${owner}` });
  if (options.deadLetter !== undefined) results.push(deadLetters(channel, options.deadLetter));
  const batch = options.batch;
  return [
    {
      endpoint,
      operation: options.group !== undefined ? `receive.${options.group}` : "receive",
      description: options.description,
      messages,
      ...(batch === undefined ? { reply: replies } : {
        batch: typeof batch === "number"
          ? { size: batch, timeout: 100 }
          : { size: batch.size, timeout: batch.timeout ?? 100 },
      }),
    },
    ...results,
  ];
}

function deadLetters(channel: string, target: string): Endpoint {
  const via: AnyEndpoint = { action: "send", channel: target, options: {} };
  return {
    endpoint: via,
    operation: "send",
    description:
      `Messages of ${channel} that failed for good, as they arrived, with ${ERROR_HEADER} saying why.`,
    messages: [{
      base: pascalOf(target),
      io: "output",
      owner: `dead letters of ${channel}`,
      headers: {
        type: "object",
        properties: { [ERROR_HEADER]: { type: "string", description: "Why the message failed." } },
        required: [ERROR_HEADER],
      },
      via,
    }],
  };
}

function publisherOptions(publisher: Publisher<unknown, unknown>): Options {
  return withoutCore(publisher.options, CORE_PUBLISHER_OPTIONS);
}

function publisherMessage(publisher: Publisher<unknown, unknown>): MessageSpec {
  const headers = publisher.options.headers;
  const names = Object.keys(headers ?? {});
  return {
    base: pascalOf(publisher.channel),
    schema: publisher.options.schema,
    io: "output",
    owner: `publisher ${publisher.channel}`,
    via: { action: "send", channel: publisher.channel, options: publisherOptions(publisher) },
    ...(names.length > 0
      ? {
        headers: {
          type: "object",
          properties: Object.fromEntries(names.map((n) => [n, { type: "string", const: headers![n] }])),
          required: names,
        },
      }
      : {}),
  };
}

function publisherEndpoint(publisher: Publisher<unknown, unknown>): Endpoint {
  const message = publisherMessage(publisher);
  return {
    endpoint: message.via!,
    operation: "send",
    description: publisher.options.description,
    messages: [message],
  };
}
