import { App, memory } from "@sluice/core";
import { CONTENT_TYPE, prometheusMiddleware } from "@sluice/prometheus";

export const metrics = prometheusMiddleware({ appName: "shop" }); // FastStream's names: faststream_…
export const broker = memory({ middlewares: [metrics] });
export const app = new App(broker);

broker.subscriber("orders").publisher("invoices").handle((order: unknown) => ({ order, total: 42 }));
broker.subscriber("invoices").handle(() => {});

/** The `/metrics` endpoint, for any server that speaks fetch (Deno.serve, Bun.serve, Hono). */
export function metricsEndpoint(): Response {
  return new Response(metrics.registry.metrics(), { headers: { "content-type": CONTENT_TYPE } });
}
