/**
 * The message a handler sees: the decoded body beside everything the broker delivered, and the three ways to
 * settle it by hand.
 *
 * @module
 */

import { type IncomingMessage, SETTLED } from "./driver.ts";

/** How a message was settled, or `undefined` while it is open. */
export type Settlement = "ack" | "nack" | "reject";

/** A consumed message. `Body` is the validated body type, `Path` the path parameters. */
export interface Message<Body = unknown, Path = Readonly<Record<string, string>>> {
  /** The decoded (and, with a schema, validated) body. */
  readonly body: Body;
  /** The bytes as they arrived. */
  readonly raw: Uint8Array;
  /** User headers. */
  readonly headers: Readonly<Record<string, string>>;
  /** Parameters captured from the channel by the subscriber's template. */
  readonly path: Path;
  /** The concrete channel the message arrived on. */
  readonly channel: string;
  /** The message id: the broker's, or one made up for logs. */
  readonly messageId: string;
  /** The correlation id, carried to every message the handler publishes. */
  readonly correlationId: string | undefined;
  /** Where a reply goes, if the producer asked for one. */
  readonly replyTo: string | undefined;
  /** The content type the producer gave. */
  readonly contentType: string | undefined;
  /** The message was delivered before. */
  readonly redelivered: boolean;
  /** How many times the broker delivered it, when the broker counts. */
  readonly deliveryCount: number | undefined;
  /** The ordering key (Kafka key, FIFO group), if any. */
  readonly key: string | undefined;
  /** The client library's own message. */
  readonly native: unknown;
  /** How the message was settled so far. */
  readonly settlement: Settlement | undefined;
  /** Acknowledges the message. Settling twice is a no-op. */
  ack(): Promise<void>;
  /** Returns the message for redelivery, after `delay` ms where the broker supports it. */
  nack(options?: { readonly delay?: number }): Promise<void>;
  /** Gives up on the message: dead-lettered where the broker is configured so, else dropped. */
  reject(): Promise<void>;
}

let sequence = 0;
const prefix = Math.random().toString(36).slice(2, 8);

/** A message as the core builds it from an incoming one; the body is filled in after decoding. */
export class ConsumedMessage implements Message<unknown, Readonly<Record<string, string>>> {
  body: unknown = undefined;
  path: Readonly<Record<string, string>>;
  readonly messageId: string;
  settlement: Settlement | undefined = undefined;
  readonly #incoming: IncomingMessage;

  constructor(incoming: IncomingMessage, path: Readonly<Record<string, string>>) {
    this.#incoming = incoming;
    this.path = path;
    this.messageId = incoming.messageId ?? `local-${prefix}-${++sequence}`;
  }

  get raw(): Uint8Array {
    return this.#incoming.body;
  }
  get headers(): Readonly<Record<string, string>> {
    return this.#incoming.headers;
  }
  get channel(): string {
    return this.#incoming.channel;
  }
  get correlationId(): string | undefined {
    return this.#incoming.correlationId;
  }
  get replyTo(): string | undefined {
    return this.#incoming.replyTo;
  }
  get contentType(): string | undefined {
    return this.#incoming.contentType;
  }
  get redelivered(): boolean {
    return this.#incoming.redelivered ?? false;
  }
  get deliveryCount(): number | undefined {
    return this.#incoming.deliveryCount;
  }
  get key(): string | undefined {
    return this.#incoming.key;
  }
  get native(): unknown {
    return this.#incoming.raw;
  }
  /** The message as the driver delivered it. */
  get incoming(): IncomingMessage {
    return this.#incoming;
  }

  ack(): Promise<void> {
    if (this.settlement) return SETTLED;
    this.settlement = "ack";
    return this.#incoming.ack();
  }
  nack(options?: { readonly delay?: number }): Promise<void> {
    if (this.settlement) return SETTLED;
    this.settlement = "nack";
    return this.#incoming.nack(options);
  }
  reject(): Promise<void> {
    if (this.settlement) return SETTLED;
    this.settlement = "reject";
    return this.#incoming.reject();
  }
}
