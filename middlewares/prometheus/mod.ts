/**
 * Prometheus metrics for Sluice: a middleware with FastStream's metric names and labels, and a small
 * registry of its own that writes the Prometheus text format — no dependency, any runtime.
 *
 * @example
 * ```ts
 * import { memory } from "@sluice/core";
 * import { prometheusMiddleware } from "@sluice/prometheus";
 * const metrics = prometheusMiddleware({ appName: "shop" });
 * const broker = memory({ middlewares: [metrics] });
 * // later, on GET /metrics: new Response(metrics.registry.metrics(), { headers: { "content-type": CONTENT_TYPE } })
 * ```
 *
 * @module
 */

export {
  type ProcessingStatus,
  type PrometheusMiddleware,
  prometheusMiddleware,
  type PrometheusOptions,
  SIZE_BUCKETS,
} from "./middleware.ts";
export {
  CONTENT_TYPE,
  Counter,
  CounterSeries,
  DEFAULT_BUCKETS,
  formatNumber,
  Gauge,
  GaugeSeries,
  Histogram,
  type HistogramOptions,
  HistogramSeries,
  type MetricOptions,
  Registry,
} from "./registry.ts";
