import process from "node:process";
import { App, memory } from "@sluice/core";
import { http } from "@sluice/http";
import { prometheusMiddleware } from "@sluice/prometheus";
import { type } from "arktype";

const metrics = prometheusMiddleware({ appName: "shop" });
export const broker = memory({ middlewares: [metrics] }); // or nats(…), kafka(…), redis(…) …
export const app = new App(broker, { info: { title: "Shop", version: "1.0.0" } });

const Order = type({ id: "string", item: "string", quantity: "number.integer > 0" });

export const orders = broker
  .subscriber("orders", { schema: Order })
  .publisher("invoices")
  .handle((order) => ({ order: order.id, total: order.quantity * 9.5 }));
export const invoices = broker.subscriber("invoices").handle((invoice, ctx) => {
  ctx.logger.info(`invoice ${JSON.stringify(invoice)}`);
});
export const stock = broker
  .subscriber("stock.{item}") // answers requests: how many of an item are left
  .handle((_query, ctx) => ({ item: ctx.path.item, available: 12 }));

// /health, /ready, /metrics, /asyncapi.json, /asyncapi.yaml and /docs; try-it-out when a token is set.
const token = process.env.DOCS_TOKEN;
export const api = http(app, { docs: { tryItOut: token !== undefined, token } });

api.post("/orders", async (c) => {
  const order = Order(await c.req.json());
  if (order instanceof type.errors) return c.json({ error: order.summary }, 422);
  await c.var.publish(order, "orders"); // with the caller's x-correlation-id
  return c.json({ accepted: order.id }, 202);
});

api.get("/stock/:item", async (c) => {
  const reply = await c.var.request({}, `stock.${c.req.param("item")}`, { timeout: 5000 });
  return c.json(reply.body);
});
