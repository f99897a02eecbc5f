/**
 * The broker's side of the port: turns bodies into messages (encoding, ids, headers), runs publish
 * middlewares, hands messages to the driver, and does request/reply — natively where the driver can, over a
 * reply subscription otherwise.
 *
 * @module
 */

import type { Codecs } from "./codec.ts";
import type { Context } from "./context.ts";
import type { Driver, IncomingMessage, OutgoingMessage } from "./driver.ts";
import { describeError, SluiceError, StateError } from "./errors.ts";
import type { Logger } from "./logger.ts";
import { composePublish, type Middleware, type Publication, type PublicationKind } from "./middleware.ts";
import type { Mock } from "./mock.ts";
import {
  CORE_PUBLISH_OPTIONS,
  CORE_REQUEST_OPTIONS,
  type PublishOptions,
  type Reply,
  type ReplyBody,
  type RequestCallOptions,
} from "./publish_options.ts";
import type { BrokerPort, Observer } from "./port.ts";
import { withoutCore } from "./options.ts";
import { readReply, ReplyChannel } from "./_reply_channel.ts";
import { publishBatchThrough } from "./_batch_publish.ts";
import { publishFailed } from "./_publish_errors.ts";
import type { StandardSchemaV1 } from "./schema.ts";

// Message ids: one random UUID per process plus a counter — unique across processes, and far cheaper per
// message than a UUID each (the publish path runs a million times a second).
const ID_PREFIX = `${crypto.randomUUID()}-`;
let idCounter = 0;
function newId(): string {
  return ID_PREFIX + ++idCounter;
}

// Shared empty values: the publish path would otherwise allocate them for every message.
const NO_OPTIONS: PublishOptions = Object.freeze({});
const NO_HEADERS: Record<string, string> = Object.freeze({}) as Record<string, string>;

/** What the outbox needs of its broker beyond the driver. */
export interface OutboxSettings {
  readonly codecs: Codecs;
  readonly maxBodySize: number | undefined;
  readonly requestTimeout: number;
  /** The broker's own middleware chain, for publishes that belong to no publisher. */
  readonly middlewares: () => readonly Middleware[];
  /** Throws unless the broker is connected. */
  readonly assertConnected: () => void;
}

/** The port a broker gives its subscribers, publishers and contexts. */
export class Outbox implements BrokerPort {
  driver: Driver;
  logger: Logger;
  observer: Observer | undefined;
  readonly codecs: Codecs;
  readonly maxBodySize: number | undefined;
  readonly #settings: OutboxSettings;
  readonly #pipelines = new WeakMap<readonly Middleware[], (publication: Publication) => Promise<void>>();
  #replies: ReplyChannel | undefined;

  constructor(driver: Driver, logger: Logger, settings: OutboxSettings) {
    this.driver = driver;
    this.logger = logger;
    this.codecs = settings.codecs;
    this.maxBodySize = settings.maxBodySize;
    this.#settings = settings;
  }

  publish(
    body: unknown,
    channel: string,
    options: PublishOptions = NO_OPTIONS,
    origin?: Context,
  ): Promise<void> {
    return this.send(body, channel, options, this.#settings.middlewares(), undefined, origin);
  }

  reply(body: unknown, channel: string, options: PublishOptions, origin: Context): Promise<void> {
    return this.send(body, channel, options, this.#settings.middlewares(), undefined, origin, "reply");
  }

  send(
    body: unknown,
    channel: string,
    options: PublishOptions,
    middlewares: readonly Middleware[],
    mock?: Mock<unknown>,
    origin?: Context,
    kind: PublicationKind = "publish",
  ): Promise<void> {
    // Not async, to spare a promise per message on the hot path; errors still arrive as a rejection.
    try {
      this.#settings.assertConnected();
      if (middlewares.length === 0) {
        return this.#publishNow(this.#publication(body, channel, options, false, kind, origin), mock);
      }
      const publication = this.#publication(body, channel, options, true, kind, origin);
      if (mock) return composePublish(middlewares, (p) => this.#publishNow(p, mock))(publication);
      // Middleware chains are cached arrays (see Router.middlewareChain), so their composition can be too.
      let pipeline = this.#pipelines.get(middlewares);
      if (!pipeline) {
        pipeline = composePublish(middlewares, (p) => this.#publishNow(p, undefined));
        this.#pipelines.set(middlewares, pipeline);
      }
      return pipeline(publication);
    } catch (error) {
      return Promise.reject(error);
    }
  }

  async sendBatch(
    bodies: readonly unknown[],
    channel: string,
    options: PublishOptions = NO_OPTIONS,
    mock?: Mock<unknown>,
  ): Promise<void> {
    this.#settings.assertConnected();
    if (!this.driver.publishBatch) {
      for (const body of bodies) await this.send(body, channel, options, this.#settings.middlewares(), mock);
      return;
    }
    const send = (to: string, sent: readonly Publication[]) => this.#publishBatchNow(to, sent, options, mock);
    const middlewares = this.#settings.middlewares();
    const through = middlewares.some((m) => m.publish);
    const publications = bodies.map((body) => this.#publication(body, channel, options));
    // With publish middlewares, each message passes them (a span, trace headers, a count of its own).
    await (through ? publishBatchThrough(publications, middlewares, send) : send(channel, publications));
  }

  async #publishBatchNow(
    channel: string,
    publications: readonly Publication[],
    options: PublishOptions,
    mock: Mock<unknown> | undefined,
  ): Promise<void> {
    const messages = publications.map((publication) => this.#outgoing(publication));
    try {
      await this.driver.publishBatch!(channel, messages, withoutCore(options, CORE_PUBLISH_OPTIONS));
    } catch (error) {
      throw publishFailed(error, publications, this.driver.url);
    }
    if (mock && this.observer) {
      messages.forEach((message, i) =>
        this.observer!.record(mock, {
          body: publications[i]!.body,
          channel,
          headers: message.headers,
          correlationId: message.correlationId,
        })
      );
    }
  }

  async request<S extends StandardSchemaV1 | undefined = undefined>(
    body: unknown,
    channel: string,
    options: RequestCallOptions<S> = {},
    origin?: Context,
  ): Promise<Reply<ReplyBody<S>>> {
    this.#settings.assertConnected();
    options.signal?.throwIfAborted(); // as fetch(): an aborted request is not sent
    const timeout = options.timeout ?? this.#settings.requestTimeout;
    const publication = this.#publication(body, channel, options, true, "request", origin);
    publication.correlationId ??= crypto.randomUUID();
    const driver = this.driver;
    const middlewares = this.#settings.middlewares();
    // The broker's publish middlewares run around the sending, as for a publish (trace headers, metrics).
    const through = (send: (p: Publication) => Promise<void>): Promise<void> =>
      middlewares.length === 0 ? send(publication) : composePublish(middlewares, send)(publication);
    let incoming: IncomingMessage | undefined;
    if (driver.request) {
      const ask = async (p: Publication): Promise<void> => {
        incoming = await driver.request!(p.channel, this.#outgoing(p), {
          ...withoutCore(p.options, CORE_REQUEST_OPTIONS),
          timeout,
          signal: options.signal,
        });
      };
      try {
        await through(ask);
      } catch (error) {
        if (error instanceof SluiceError) throw error;
        throw new SluiceError(`Request to ${channel} failed: ${describeError(error)}`, { cause: error });
      }
    } else {
      this.#replies ??= new ReplyChannel(driver, this.logger, this.#settings.middlewares);
      incoming = await this.#replies.request(
        channel,
        publication.correlationId,
        (replyTo) => {
          publication.replyTo = replyTo;
          return through((p) => this.#publishNow(p, undefined));
        },
        timeout,
        options.signal,
      );
    }
    if (!incoming) throw new StateError(`A publish middleware of ${channel} did not send the request`);
    return await readReply<S>(incoming, channel, this.codecs, options.schema);
  }

  /** Stops the reply subscription, failing requests still waiting. */
  async close(): Promise<void> {
    const replies = this.#replies;
    this.#replies = undefined;
    await replies?.close();
  }

  #publishNow(publication: Publication, mock: Mock<unknown> | undefined): Promise<void> {
    if (mock && this.observer) {
      this.observer.record(mock, {
        body: publication.body,
        channel: publication.channel,
        headers: publication.headers,
        correlationId: publication.correlationId,
      });
    }
    const driver = this.driver;
    let sent: Promise<void>;
    try {
      sent = driver.publish(
        publication.channel,
        this.#outgoing(publication),
        withoutCore(publication.options, CORE_REQUEST_OPTIONS),
      );
    } catch (error) {
      return Promise.reject(publishFailed(error, publication, driver.url));
    }
    return sent.catch((error) => {
      throw publishFailed(error, publication, driver.url);
    });
  }

  /** `ownHeaders` copies the headers, for middlewares that change them; without middlewares none do. */
  #publication(
    body: unknown,
    channel: string,
    options: PublishOptions,
    ownHeaders = true,
    kind: PublicationKind = "publish",
    origin?: Context,
  ): Publication {
    const messageId = options.messageId ?? newId();
    return {
      broker: this.driver.name,
      kind,
      origin,
      channel,
      body,
      headers: ownHeaders
        ? { ...options.headers }
        : (options.headers as Record<string, string>) ?? NO_HEADERS,
      correlationId: options.correlationId ?? messageId,
      messageId,
      replyTo: options.replyTo,
      contentType: options.contentType,
      options: options as Record<string, unknown>,
    };
  }

  #outgoing(publication: Publication): OutgoingMessage {
    const body = publication.body;
    if (body instanceof Uint8Array) {
      return {
        body,
        headers: publication.headers,
        contentType: publication.contentType ?? "application/octet-stream",
        correlationId: publication.correlationId,
        messageId: publication.messageId,
        replyTo: publication.replyTo,
      };
    }
    const encoded = this.codecs.encode(body, publication.contentType);
    return {
      body: encoded.body,
      headers: publication.headers,
      contentType: encoded.contentType,
      correlationId: publication.correlationId,
      messageId: publication.messageId,
      replyTo: publication.replyTo,
    };
  }
}
