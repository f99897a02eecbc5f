import { App, memory } from "@sluice/core";
import { telemetryMiddleware } from "@sluice/opentelemetry";
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
} from "@opentelemetry/sdk-trace-base";

// In a service: your runtime's OpenTelemetry SDK with an OTLP exporter. Here the spans stay in memory.
export const spans = new InMemorySpanExporter();
const tracerProvider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(spans)] });

export const broker = memory({ logFormat: "json", middlewares: [telemetryMiddleware({ tracerProvider })] });
export const app = new App(broker);

broker.subscriber("prices").handle((item) => ({ item, cents: 250 }));
broker.subscriber("quotes").handle(async (item, ctx) => {
  const price = await ctx.request(item, "prices", { timeout: 1000 }); // continues this message's trace
  ctx.logger.info("quoted"); // a JSON line with traceId and spanId
  return { quote: price.body };
});
