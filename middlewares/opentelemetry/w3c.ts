/**
 * W3C Trace Context (`traceparent`, `tracestate`) and W3C Baggage (`baggage`) in message headers, written
 * and read here rather than through the globally registered propagator: the headers are then the same
 * whatever the app configured, as FastStream's, which uses these two propagators explicitly too.
 *
 * @module
 */

import {
  type Baggage,
  type Context,
  createTraceState,
  INVALID_TRACEID,
  isSpanContextValid,
  propagation,
  type SpanContext,
  trace,
  TraceFlags,
} from "@opentelemetry/api";

/** The header names, lower-case as FastStream writes and reads them. */
export const TRACEPARENT = "traceparent";
export const TRACESTATE = "tracestate";
export const BAGGAGE = "baggage";

const TRACEPARENT_FORMAT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(?:-.*)?$/;

/** Whether a span context belongs to a trace: false for the no-op tracer's span where no trace came in. */
export function traced(spanContext: SpanContext): boolean {
  return spanContext.traceId !== INVALID_TRACEID && isSpanContextValid(spanContext);
}

/** Writes the span context and the baggage of `context` into `headers`. */
export function inject(
  headers: Record<string, string>,
  spanContext: SpanContext,
  baggage: Baggage | undefined,
): void {
  if (traced(spanContext)) {
    const flags = (spanContext.traceFlags & TraceFlags.SAMPLED).toString(16).padStart(2, "0");
    headers[TRACEPARENT] = `00-${spanContext.traceId}-${spanContext.spanId}-${flags}`;
    const state = spanContext.traceState?.serialize();
    if (state) headers[TRACESTATE] = state;
  }
  if (baggage) {
    const entries = baggage.getAllEntries();
    if (entries.length > 0) {
      headers[BAGGAGE] = entries.map(([key, entry]) =>
        `${encodeURIComponent(key)}=${encodeURIComponent(entry.value)}${
          entry.metadata ? `;${entry.metadata.toString()}` : ""
        }`
      ).join(",");
    }
  }
}

/** The remote span context in `headers`, or undefined when there is none or it is malformed. */
export function extractSpanContext(headers: Readonly<Record<string, string>>): SpanContext | undefined {
  const header = headers[TRACEPARENT];
  if (header === undefined) return undefined;
  const match = TRACEPARENT_FORMAT.exec(header.trim());
  if (!match || match[1] === "ff") return undefined;
  const spanContext: SpanContext = {
    traceId: match[2]!,
    spanId: match[3]!,
    traceFlags: parseInt(match[4]!, 16),
    isRemote: true,
  };
  if (!isSpanContextValid(spanContext)) return undefined;
  const state = headers[TRACESTATE];
  if (state) spanContext.traceState = createTraceState(state);
  return spanContext;
}

/** `+` is a space the way Python's baggage propagator writes one (`quote_plus`). */
function decode(text: string): string {
  try {
    return decodeURIComponent(text.replace(/\+/g, " "));
  } catch {
    return text;
  }
}

/** The baggage in `headers`, or undefined without one. */
export function extractBaggage(headers: Readonly<Record<string, string>>): Baggage | undefined {
  const header = headers[BAGGAGE];
  if (!header) return undefined;
  const entries: Record<string, { value: string }> = {};
  for (const member of header.split(",")) {
    const [pair] = member.split(";", 1);
    const equals = pair!.indexOf("=");
    if (equals <= 0) continue;
    entries[decode(pair!.slice(0, equals).trim())] = { value: decode(pair!.slice(equals + 1).trim()) };
  }
  return Object.keys(entries).length > 0 ? propagation.createBaggage(entries) : undefined;
}

/** `parent` with the span context and baggage of `headers` on it, as the context a consumer continues. */
export function extract(parent: Context, headers: Readonly<Record<string, string>>): Context {
  let context = parent;
  const spanContext = extractSpanContext(headers);
  if (spanContext) context = trace.setSpanContext(context, spanContext);
  const baggage = extractBaggage(headers);
  if (baggage) context = propagation.setBaggage(context, baggage);
  return context;
}
