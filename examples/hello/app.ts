/**
 * The hello app on the in-memory broker: a subscriber that turns an order into an invoice and publishes it,
 * a second subscriber that prints invoices, and a periodic publisher of orders.
 *
 * @module
 */

import { App, memory } from "@sluice/core";
import { type } from "arktype";

export const broker = memory();
export const app = new App(broker);

const Order = type({ id: "number.integer", item: "string", quantity: "number.integer > 0" });
const PRICES: Record<string, number> = { tea: 3.5, cake: 4.25, scone: 2.75 };

export const invoices = broker.publisher("invoices.created");

/** Turns each order into an invoice; the return value goes to `invoices.created`. */
export const billing = broker
  .subscriber("orders.{region}", { schema: Order })
  .publisher(invoices)
  .handle((order, ctx) => ({
    orderId: order.id,
    region: ctx.path.region,
    total: Math.round((PRICES[order.item] ?? 1) * order.quantity * 100) / 100,
  }));

/** Prints every invoice. */
export const printer = broker
  .subscriber("invoices.created")
  .handle((invoice, ctx) => ctx.logger.info(`invoice ${JSON.stringify(invoice)}`));

let timer: ReturnType<typeof setInterval> | undefined;
let next = 1;

/** Publishes one order; the periodic publisher calls it every `interval` ms. */
export function publishOrder(): Promise<void> {
  const items = Object.keys(PRICES);
  const id = next++;
  return broker.publish(
    { id, item: items[id % items.length], quantity: 1 + (id % 3) },
    id % 2 ? "orders.eu" : "orders.us",
  );
}

app.afterStartup(() => {
  timer = setInterval(() => void publishOrder(), 500);
});
app.onShutdown(() => clearInterval(timer));
