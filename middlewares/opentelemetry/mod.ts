/**
 * OpenTelemetry for Sluice: a middleware on `@opentelemetry/api` (a peer dependency; no SDK imported) that
 * traces and measures messages per the messaging semantic conventions, with W3C trace context and baggage in
 * the message headers as FastStream writes them, so one trace crosses Python and TypeScript services.
 *
 * @example
 * ```ts
 * import { memory } from "@sluice/core";
 * import { telemetryMiddleware } from "@sluice/opentelemetry";
 * const broker = memory({ middlewares: [telemetryMiddleware()] }); // the global tracer and meter providers
 * ```
 *
 * @module
 */

export {
  baggageOf,
  INSTRUMENTATION_NAME,
  INSTRUMENTATION_VERSION,
  setBaggage,
  spanOf,
  telemetryMiddleware,
  type TelemetryOptions,
  traceContextOf,
} from "./middleware.ts";
export { BAGGAGE, TRACEPARENT, TRACESTATE } from "./w3c.ts";
export * as attributes from "./attributes.ts";
