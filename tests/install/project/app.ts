// A first app: orders come in on NATS subjects orders.<region>; each is checked, priced and confirmed.
import { App } from "@sluice/core";
import { nats } from "@sluice/nats";
import { type } from "arktype";

export const broker = nats({ servers: process.env.NATS_URL ?? "nats://127.0.0.1:4222" });
export const app = new App(broker);

const Order = type({ id: "number.integer", item: "string", quantity: "number.integer > 0" });

export const confirmations = broker.publisher("confirmations");

export const orders = broker
  .subscriber("orders.{region}", { schema: Order }) // the body is checked and typed as Order
  .publisher(confirmations) //                        what the handler returns is published there
  .handle((order, ctx) => {
    ctx.logger.info(`order ${order.id} from ${ctx.path.region}`);
    return { id: order.id, region: ctx.path.region, cents: order.quantity * 350 };
  });
