import { App, memory } from "@sluice/core";
import { type } from "arktype";

export const broker = memory(); // or: kafka({ brokers: ["localhost:9092"] }), or await connect("nats://localhost:4222")
export const app = new App(broker);

const User = type({ name: "string", id: "number.integer" });

export const created = broker
  .subscriber("users.created", { schema: User }) // body is validated and typed as { name, id }
  .publisher("users.welcomed") //                   whatever the handler returns is published here
  .handle((user, ctx) => {
    ctx.logger.info(`user ${user.name} created`);
    return { text: `welcome, ${user.name}` };
  });

export const welcomed = broker.subscriber("users.welcomed").handle((welcome) => welcome);
