// An OpenTelemetry SDK for tests: spans kept in memory, metrics read on demand.
import { AggregationTemporality, MeterProvider, MetricReader } from "@opentelemetry/sdk-metrics";
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  type ReadableSpan,
  SimpleSpanProcessor,
} from "@opentelemetry/sdk-trace-base";

class TestReader extends MetricReader {
  constructor() {
    super({ aggregationTemporalitySelector: () => AggregationTemporality.CUMULATIVE });
  }
  protected onForceFlush(): Promise<void> {
    return Promise.resolve();
  }
  protected onShutdown(): Promise<void> {
    return Promise.resolve();
  }
}

/** A data point of a metric, by its attributes. */
export interface Point {
  readonly attributes: Record<string, unknown>;
  readonly value: unknown;
}

/** Providers for the middleware, and what they recorded. */
export function telemetry(): {
  tracerProvider: BasicTracerProvider;
  meterProvider: MeterProvider;
  spans(): ReadableSpan[];
  metric(name: string): Promise<Point[]>;
} {
  const exporter = new InMemorySpanExporter();
  const tracerProvider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
  const reader = new TestReader();
  const meterProvider = new MeterProvider({ readers: [reader] });
  return {
    tracerProvider,
    meterProvider,
    spans: () => exporter.getFinishedSpans(),
    async metric(name) {
      const { resourceMetrics } = await reader.collect();
      const found = resourceMetrics.scopeMetrics.flatMap((s) => s.metrics).find((m) =>
        m.descriptor.name === name
      );
      return (found?.dataPoints ?? []).map((p) => ({ attributes: { ...p.attributes }, value: p.value }));
    },
  };
}

/** The span named `name`; fails when there is none or more than one. */
export function only(spans: readonly ReadableSpan[], name: string | RegExp): ReadableSpan {
  const found = spans.filter((s) => typeof name === "string" ? s.name === name : name.test(s.name));
  if (found.length !== 1) {
    throw new Error(`${found.length} spans named ${name}: ${spans.map((s) => s.name).join(", ")}`);
  }
  return found[0]!;
}

/** Whether `child`'s parent is `parent`. */
export function parentOf(child: ReadableSpan): string | undefined {
  return child.parentSpanContext?.spanId;
}
