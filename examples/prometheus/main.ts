/**
 * Runs the app with its metrics on http://127.0.0.1:9464/metrics, publishing an order a second, for ten
 * seconds or, with `--forever`, until Ctrl-C.
 *
 * `deno run -A examples/prometheus/main.ts` or `bun examples/prometheus/main.ts`.
 *
 * @module
 */

import { createServer } from "node:http";
import process from "node:process";
import { CONTENT_TYPE } from "@sluice/prometheus";
import { app, broker, metrics } from "./app.ts";

const server = createServer((_request, response) => {
  response.setHeader("content-type", CONTENT_TYPE);
  response.end(metrics.registry.metrics());
}).listen(9464, "127.0.0.1");

const controller = new AbortController();
process.once("SIGINT", () => controller.abort());
if (!process.argv.includes("--forever")) setTimeout(() => controller.abort(), 10_000);
const orders = setInterval(() => void broker.publish({ id: Date.now() }, "orders"), 1000);
controller.signal.addEventListener("abort", () => {
  clearInterval(orders);
  server.close();
});
await app.run(controller.signal);
