import { test } from "node:test";
import assert from "node:assert/strict";
import { type } from "arktype";
import { App, memory } from "@sluice/core";
import { testBroker } from "@sluice/core/testing";

const broker = memory({ logLevel: "error" });
export const app = new App(broker);

const User = type({ name: "string", id: "number.integer" });

export const created = broker
  .subscriber("users.created", { schema: User })
  .publisher("users.welcomed")
  .handle((user, ctx) => {
    ctx.logger.info(`user ${user.name} created`);
    return { text: `welcome, ${user.name}` };
  });

const welcomed = broker.subscriber("users.welcomed").handle((body) => body);

test("welcomes new users", async () => {
  await using br = await testBroker(broker);
  await br.publish({ name: "Ada", id: 1 }, "users.created");
  await br.settled();
  assert.deepEqual(created.mock.calls[0]?.body, { name: "Ada", id: 1 });
  assert.deepEqual(welcomed.mock.calls[0]?.body, { text: "welcome, Ada" });
});
