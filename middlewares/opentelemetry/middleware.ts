/**
 * The OpenTelemetry middleware: a span per publish and per processed message, trace context and baggage
 * in the message headers, and duration histograms and message counters.
 *
 * @module
 */

import {
  type Attributes,
  type Baggage,
  type Context as TraceContext,
  context as contextApi,
  type Counter,
  type Exception,
  type Histogram,
  type Link,
  type MeterProvider,
  metrics,
  propagation,
  type Span,
  SpanKind,
  SpanStatusCode,
  trace,
  type TracerProvider,
} from "@opentelemetry/api";
import type { Context, DroppedMessage, Message, Middleware, Publication } from "@sluice/core";
import {
  ERROR_TYPE,
  errorType,
  LEGACY_MESSAGING_DESTINATION_PUBLISH_NAME,
  LEGACY_MESSAGING_OPERATION,
  LEGACY_MESSAGING_PAYLOAD_SIZE,
  MESSAGING_BATCH_MESSAGE_COUNT,
  MESSAGING_DESTINATION_NAME,
  MESSAGING_DESTINATION_TEMPLATE,
  MESSAGING_KAFKA_DESTINATION_PARTITION,
  MESSAGING_KAFKA_MESSAGE_KEY,
  MESSAGING_MESSAGE_BODY_SIZE,
  MESSAGING_MESSAGE_CONVERSATION_ID,
  MESSAGING_MESSAGE_ID,
  MESSAGING_OPERATION_NAME,
  MESSAGING_OPERATION_TYPE,
  MESSAGING_RABBITMQ_ROUTING_KEY,
  MESSAGING_SYSTEM,
  messagingSystem,
} from "./attributes.ts";
import { setNativeAttributes } from "./native.ts";
import { extract, extractBaggage, extractSpanContext, inject, traced } from "./w3c.ts";

/** The name and version the tracer and meter are obtained under. */
export const INSTRUMENTATION_NAME = "@sluice/opentelemetry";
export const INSTRUMENTATION_VERSION = "0.1.0";

/** Where the middleware keeps a consumed message's trace context, in `ctx.state`. */
const STATE_KEY = "@sluice/opentelemetry:context";

/** Options of {@linkcode telemetryMiddleware}. */
export interface TelemetryOptions {
  /** Where spans go; the global tracer provider by default. */
  readonly tracerProvider?: TracerProvider;
  /** Where metrics go; the global meter provider by default. */
  readonly meterProvider?: MeterProvider;
  /**
   * Counts published and processed messages (`messaging.publish.messages`, `messaging.process.messages`)
   * beside the duration histograms; true by default (FastStream's `include_messages_counters`).
   */
  readonly messageCounters?: boolean;
}

/** The OpenTelemetry context of a message being handled: its process span and its baggage. */
export function traceContextOf(ctx: Context): TraceContext | undefined {
  return ctx.state.get(STATE_KEY) as TraceContext | undefined;
}

/** The process span of a message being handled (FastStream's `CurrentSpan`). */
export function spanOf(ctx: Context): Span | undefined {
  const traceContext = traceContextOf(ctx);
  return traceContext && trace.getSpan(traceContext);
}

/** The baggage of a message being handled (FastStream's `CurrentBaggage`). */
export function baggageOf(ctx: Context): Baggage | undefined {
  const traceContext = traceContextOf(ctx);
  return traceContext && propagation.getBaggage(traceContext);
}

/** Replaces the baggage the handler's publishes and requests carry. */
export function setBaggage(ctx: Context, baggage: Baggage): void {
  const traceContext = traceContextOf(ctx) ?? contextApi.active();
  ctx.state.set(STATE_KEY, propagation.setBaggage(traceContext, baggage));
}

/** Metric instruments, with attribute sets kept per destination so that recording allocates nothing. */
class Instruments {
  readonly #publishDuration: Histogram;
  readonly #processDuration: Histogram;
  readonly #publishCount: Counter | undefined;
  readonly #processCount: Counter | undefined;
  readonly #dropped: Counter;
  readonly #publishAttributes = new AttributeSets(false);
  readonly #processAttributes = new AttributeSets(true);

  constructor(provider: MeterProvider, counters: boolean) {
    const meter = provider.getMeter(INSTRUMENTATION_NAME, INSTRUMENTATION_VERSION);
    this.#publishDuration = meter.createHistogram("messaging.publish.duration", {
      unit: "s",
      description: "Duration of publish operations",
    });
    this.#processDuration = meter.createHistogram("messaging.process.duration", {
      unit: "s",
      description: "Duration of processing operations",
    });
    if (counters) {
      this.#publishCount = meter.createCounter("messaging.publish.messages", {
        unit: "{message}",
        description: "Messages published",
      });
      this.#processCount = meter.createCounter("messaging.process.messages", {
        unit: "{message}",
        description: "Messages processed",
      });
    }
    // Not one of FastStream's, whose subscribers never drop; so not under `messagingCounters` either.
    this.#dropped = meter.createCounter("sluice.messaging.dropped.messages", {
      unit: "{message}",
      description: "Messages dropped on arrival because the subscriber fell behind its bounds",
    });
  }

  /** A message a driver dropped: rare, so its attributes are made each time. */
  dropped(message: DroppedMessage): void {
    this.#dropped.add(1, {
      [MESSAGING_SYSTEM]: messagingSystem(message.broker),
      [MESSAGING_DESTINATION_NAME]: message.channel,
      ...(message.subscriber !== message.channel
        ? { [MESSAGING_DESTINATION_TEMPLATE]: message.subscriber }
        : {}),
    });
  }

  publish(system: string, destination: string, seconds: number, error: string | undefined): void {
    const attributes = this.#publishAttributes.get(system, destination);
    this.#publishDuration.record(seconds, error ? { ...attributes, [ERROR_TYPE]: error } : attributes);
    this.#publishCount?.add(1, attributes);
  }

  process(
    system: string,
    destination: string,
    count: number,
    seconds: number,
    error: string | undefined,
  ): void {
    const attributes = this.#processAttributes.get(system, destination);
    this.#processDuration.record(seconds, error ? { ...attributes, [ERROR_TYPE]: error } : attributes);
    this.#processCount?.add(count, attributes);
  }
}

/** The attribute sets of one metric, one per system and destination, the last one in front. */
class AttributeSets {
  readonly #consumed: boolean;
  readonly #kept = new Map<string, Map<string, Attributes>>();
  // The last set and its key, in fields rather than a tuple so that a miss allocates nothing.
  #lastSystem: string | undefined;
  #lastDestination: string | undefined;
  #last: Attributes | undefined;

  constructor(consumed: boolean) {
    this.#consumed = consumed;
  }

  get(system: string, destination: string): Attributes {
    if (system === this.#lastSystem && destination === this.#lastDestination) return this.#last!;
    let bySystem = this.#kept.get(system);
    if (!bySystem) this.#kept.set(system, bySystem = new Map());
    let attributes = bySystem.get(destination);
    if (!attributes) {
      attributes = Object.freeze({
        [MESSAGING_SYSTEM]: system,
        [MESSAGING_DESTINATION_NAME]: destination,
        // FastStream labels its process metrics with the older name of the same thing.
        ...(this.#consumed ? { [LEGACY_MESSAGING_DESTINATION_PUBLISH_NAME]: destination } : {}),
      });
      bySystem.set(destination, attributes);
    }
    this.#lastSystem = system;
    this.#lastDestination = destination;
    return this.#last = attributes;
  }
}

/** A span's name and the attributes a sampler sees when it starts; the rest are set only when recording. */
interface SpanStart {
  readonly name: string;
  readonly attributes: Attributes;
}

/**
 * Span names and start attributes, the same for every message of one destination: made once and kept, so
 * a message whose span records nothing (no SDK) costs no allocation for them.
 */
class SpanStarts {
  readonly #kept = new Map<string, Map<string, Map<string, SpanStart>>>();
  // The last start and its key, in fields rather than a tuple so that a miss allocates nothing.
  #lastSystem: string | undefined;
  #lastWhat: string | undefined;
  #lastChannel: string | undefined;
  #last: SpanStart | undefined;

  /** The start for `system`, `what` (a subscriber or a kind of publication) and `channel`. */
  get(system: string, what: string, channel: string, make: () => SpanStart): SpanStart {
    if (channel === this.#lastChannel && what === this.#lastWhat && system === this.#lastSystem) {
      return this.#last!;
    }
    let byWhat = this.#kept.get(system);
    if (!byWhat) this.#kept.set(system, byWhat = new Map());
    let byChannel = byWhat.get(what);
    if (!byChannel) byWhat.set(what, byChannel = new Map());
    let start = byChannel.get(channel);
    if (!start) byChannel.set(channel, start = make());
    this.#lastSystem = system;
    this.#lastWhat = what;
    this.#lastChannel = channel;
    return this.#last = start;
  }
}

function consumeStart(subscriber: string, system: string, channel: string): SpanStart {
  const attributes: Record<string, string> = {
    [MESSAGING_SYSTEM]: system,
    [MESSAGING_DESTINATION_NAME]: channel,
    [MESSAGING_OPERATION_TYPE]: "process",
  };
  if (subscriber !== channel) attributes[MESSAGING_DESTINATION_TEMPLATE] = subscriber;
  return { name: `process ${subscriber}`, attributes: Object.freeze(attributes) };
}

function publishStart(kind: string, system: string, channel: string): SpanStart {
  return {
    // A reply's address is one per requester: left out of the span name, which must stay low-cardinality.
    name: kind === "reply" ? "reply" : `${kind} ${channel}`,
    attributes: Object.freeze({
      [MESSAGING_SYSTEM]: system,
      [MESSAGING_DESTINATION_NAME]: channel,
      [MESSAGING_OPERATION_TYPE]: "send",
    }),
  };
}

function describe(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

function fail(span: Span, error: unknown): string {
  const type = errorType(error);
  if (span.isRecording()) {
    span.recordException(error instanceof Error ? error : (String(error) as Exception));
    span.setStatus({ code: SpanStatusCode.ERROR, message: describe(error) });
    span.setAttribute(ERROR_TYPE, type);
  }
  return type;
}

/** Links to the producers of a batch's messages, one per distinct producer span. */
function batchLinks(batch: readonly Message[]): Link[] {
  const links: Link[] = [];
  const seen = new Set<string>();
  for (const message of batch) {
    const spanContext = extractSpanContext(message.headers);
    if (!spanContext || seen.has(spanContext.spanId)) continue;
    seen.add(spanContext.spanId);
    links.push({ context: spanContext });
  }
  return links;
}

/** The baggage of every message of a batch, merged (FastStream's cumulative batch baggage). */
function batchBaggage(parent: TraceContext, batch: readonly Message[]): TraceContext {
  let baggage: Baggage | undefined;
  for (const message of batch) {
    const own = extractBaggage(message.headers);
    if (!own) continue;
    baggage ??= propagation.createBaggage();
    for (const [key, entry] of own.getAllEntries()) baggage = baggage.setEntry(key, entry);
  }
  return baggage ? propagation.setBaggage(parent, baggage) : parent;
}

/**
 * Traces and measures a broker's messages per the OpenTelemetry messaging semantic conventions, compatible
 * with FastStream's `TelemetryMiddleware`:
 *
 * - a `PRODUCER` span per publish, request and reply (`publish orders`), and a `CONSUMER` span per processed
 *   message (`process orders`), or per batch with a link to each message's producer;
 * - W3C `traceparent`, `tracestate` and `baggage` headers on every message sent, read back on every message
 *   consumed, so a handler's publishes, requests and replies (made with `ctx.publish`, `ctx.request`, or
 *   returned) continue the trace of the message it handles, across services, brokers and languages;
 * - errors recorded on the span, with its status and `error.type`;
 * - histograms `messaging.publish.duration` and `messaging.process.duration` in seconds and counters
 *   `messaging.publish.messages` and `messaging.process.messages`, with FastStream's names and attributes,
 *   and `sluice.messaging.dropped.messages`, the messages a subscriber dropped past its `maxPending` bounds;
 * - `traceId` and `spanId` on every log line about the message (through `ctx.logger`).
 *
 * With no tracer provider registered the spans are no-ops, and what arrives in `traceparent` is passed on.
 *
 * @example
 * ```ts
 * import { memory } from "@sluice/core";
 * import { telemetryMiddleware } from "@sluice/opentelemetry";
 * const broker = memory({ middlewares: [telemetryMiddleware()] });
 * ```
 */
export function telemetryMiddleware(options: TelemetryOptions = {}): Middleware {
  const tracer = (options.tracerProvider ?? trace.getTracerProvider()).getTracer(
    INSTRUMENTATION_NAME,
    INSTRUMENTATION_VERSION,
  );
  const instruments = new Instruments(
    options.meterProvider ?? metrics.getMeterProvider(),
    options.messageCounters ?? true,
  );
  const consumeStarts = new SpanStarts();
  const publishStarts = new SpanStarts();

  // Neither half is an async function: each hands `next()`'s own promise back and ends its span in reactions
  // attached to it first, which run before the caller resumes — no extra promise or async frame per message.
  function consume(ctx: Context, next: () => Promise<unknown>): Promise<unknown> {
    const batch = ctx.batch;
    const message = ctx.message;
    const count = batch ? batch.length : 1;
    const system = messagingSystem(ctx.broker);
    const active = contextApi.active();
    // One message continues the trace of its producer; a batch starts from here and links to each one's.
    const parent = batch ? batchBaggage(active, batch) : extract(active, message.headers);
    const subscriber = ctx.subscriber;
    const channel = message.channel;
    const start = consumeStarts.get(
      system,
      subscriber,
      channel,
      () => consumeStart(subscriber, system, channel),
    );
    const span = tracer.startSpan(start.name, {
      kind: SpanKind.CONSUMER,
      attributes: batch ? { ...start.attributes, [MESSAGING_BATCH_MESSAGE_COUNT]: count } : start.attributes,
      links: batch ? batchLinks(batch) : undefined,
    }, parent);
    if (span.isRecording()) {
      let size = 0;
      if (batch) { for (const m of batch) size += m.raw.length; }
      else size = message.raw.length;
      span.setAttributes({
        [MESSAGING_OPERATION_NAME]: "process",
        [LEGACY_MESSAGING_OPERATION]: "process",
        [MESSAGING_MESSAGE_ID]: message.messageId,
        [MESSAGING_MESSAGE_BODY_SIZE]: size,
        [LEGACY_MESSAGING_PAYLOAD_SIZE]: size,
        [LEGACY_MESSAGING_DESTINATION_PUBLISH_NAME]: message.channel,
      });
      if (message.correlationId !== undefined) {
        span.setAttribute(MESSAGING_MESSAGE_CONVERSATION_ID, message.correlationId);
      }
      if (system === "kafka" && message.key !== undefined) {
        span.setAttribute(MESSAGING_KAFKA_MESSAGE_KEY, message.key);
      }
      if (system === "rabbitmq") span.setAttribute(MESSAGING_RABBITMQ_ROUTING_KEY, message.channel);
      // A batch's span has the first message's partition, as FastStream's (a Kafka batch is one partition's).
      setNativeAttributes(span, system, message.native);
    }
    const spanContext = span.spanContext();
    const isTraced = traced(spanContext);
    // Without a trace or baggage to carry (no SDK, nothing came in), the handler needs no context of ours.
    const traceContext = isTraced || parent !== active ? trace.setSpan(parent, span) : undefined;
    if (traceContext) ctx.state.set(STATE_KEY, traceContext);
    if (isTraced) ctx.logger = ctx.logger.child({ traceId: spanContext.traceId, spanId: spanContext.spanId });
    const started = performance.now();
    const end = (error: string | undefined): void => {
      span.end();
      instruments.process(system, channel, count, (performance.now() - started) / 1000, error);
    };
    let handled: Promise<unknown>;
    try {
      handled = traceContext ? contextApi.with(traceContext, next) : next();
    } catch (thrown) {
      end(fail(span, thrown));
      throw thrown;
    }
    handled.then(() => end(undefined), (thrown) => end(fail(span, thrown)));
    return handled;
  }

  function publish(
    publication: Publication,
    next: (publication: Publication) => Promise<void>,
  ): Promise<void> {
    const origin = publication.origin;
    let parent = (origin && traceContextOf(origin)) ?? contextApi.active();
    // Outside any handler and any span, a message whose headers already carry a trace (forwarded, or set by
    // hand) continues it rather than starting a new one.
    if (!origin && !trace.getSpan(parent)) parent = extract(parent, publication.headers);
    const system = messagingSystem(publication.broker);
    const { kind, channel } = publication;
    const start = publishStarts.get(system, kind, channel, () => publishStart(kind, system, channel));
    const span = tracer.startSpan(
      start.name,
      { kind: SpanKind.PRODUCER, attributes: start.attributes },
      parent,
    );
    const recording = span.isRecording();
    if (recording) {
      span.setAttributes({
        [MESSAGING_OPERATION_NAME]: publication.kind,
        [LEGACY_MESSAGING_OPERATION]: "publish",
      });
      if (publication.messageId !== undefined) span.setAttribute(MESSAGING_MESSAGE_ID, publication.messageId);
      if (publication.correlationId !== undefined) {
        span.setAttribute(MESSAGING_MESSAGE_CONVERSATION_ID, publication.correlationId);
      }
      const { key, partition } = publication.options;
      if (system === "kafka" && typeof key === "string") span.setAttribute(MESSAGING_KAFKA_MESSAGE_KEY, key);
      if (system === "kafka" && typeof partition === "number") {
        span.setAttribute(MESSAGING_KAFKA_DESTINATION_PARTITION, partition);
      }
      if (system === "rabbitmq") span.setAttribute(MESSAGING_RABBITMQ_ROUTING_KEY, publication.channel);
    }
    inject(publication.headers, span.spanContext(), propagation.getBaggage(parent));
    const started = performance.now();
    const end = (error: string | undefined): void => {
      span.end();
      instruments.publish(system, channel, (performance.now() - started) / 1000, error);
    };
    let sent: Promise<void>;
    try {
      // A recording span is the active one while the driver sends, for the client library's own spans.
      sent = recording
        ? contextApi.with(trace.setSpan(parent, span), next, undefined, publication)
        : next(publication);
    } catch (thrown) {
      end(fail(span, thrown));
      throw thrown;
    }
    sent.then(() => end(undefined), (thrown) => end(fail(span, thrown)));
    return sent;
  }

  return { name: "opentelemetry", consume, publish, dropped: (message) => instruments.dropped(message) };
}
