/**
 * The HTTP side of a Sluice service, on Hono: `http(app)` answers Kubernetes' probes (`/health`, `/ready`),
 * serves Prometheus metrics (`/metrics`), the AsyncAPI document (`/asyncapi.json`, `/asyncapi.yaml`) and a
 * self-contained docs page with the service's topology (`/docs`), and takes your own routes, which publish
 * and request through the app's brokers. `serve()` runs it on `Deno.serve`, `Bun.serve` or `node:http`.
 *
 * @example
 * ```ts
 * import { App, memory } from "@sluice/core";
 * import { http, serve } from "@sluice/http";
 * const broker = memory();
 * const app = new App(broker);
 * const api = http(app);
 * api.post("/orders", async (c) => {
 *   await c.var.publish(await c.req.json(), "orders");
 *   return c.json({ accepted: true }, 202);
 * });
 * const stop = new AbortController();
 * await serve(api, { port: 0, signal: stop.signal });
 * await app.start();
 * ```
 *
 * @module
 */

export {
  CORRELATION_HEADER,
  type DocsOptions,
  http,
  type HttpOptions,
  type MetricsSource,
  type SluiceEnv,
  type SluiceVariables,
} from "./app.ts";
export { docsPage, type DocsPageOptions } from "./docs_page.ts";
export { type AppPhase, type BrokerReadiness, Readiness, type ReadinessReport } from "./readiness.ts";
export { type FetchHandler, serve, type Served, type ServeOptions } from "./serve.ts";
export {
  type NodeKind,
  type Topology,
  type TopologyEdge,
  type TopologyNode,
  topologyOf,
  topologySvg,
} from "./topology.ts";
