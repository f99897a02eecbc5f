// The first test. The same file runs under `deno test`, `bun test` and `node --test`.
import { test } from "node:test";
import assert from "node:assert/strict";
import { testBroker } from "@sluice/core/testing";
import { broker, confirmations, orders } from "./app.ts";

test("confirms an order, priced, with the region from the subject", async () => {
  await using br = await testBroker(broker); // NATS emulated in memory: no server needed
  await br.publish({ id: 1, item: "tea", quantity: 2 }, "orders.eu");
  await br.settled(); //                       every handler it triggered has finished
  assert.deepEqual(confirmations.mock.calls[0]?.body, { id: 1, region: "eu", cents: 700 });
});

test("turns away an order that fails its schema", async () => {
  await using br = await testBroker(broker);
  await br.publish({ id: 2, item: "tea", quantity: 0 }, "orders.eu");
  await br.settled();
  assert.equal(orders.mock.calls.length, 0);
  assert.equal(confirmations.mock.calls.length, 0);
});

const real = process.env.NATS_URL;

test("confirms an order on a real NATS server", { skip: !real && "NATS_URL is not set" }, async () => {
  await using br = await testBroker(broker, { real: true }); // the same test, over the network
  await br.publish({ id: 3, item: "scone", quantity: 1 }, "orders.us");
  await br.settled();
  assert.deepEqual(confirmations.mock.calls.at(-1)?.body, { id: 3, region: "us", cents: 350 });
});
