import { test } from "node:test";
import assert from "node:assert/strict";
import { testBroker } from "@sluice/core/testing";
import { billing, broker, invoices, printer } from "./app.ts";

test("bills an order and prints the invoice", async () => {
  await using br = await testBroker(broker);
  await br.publish({ id: 7, item: "cake", quantity: 2 }, "orders.eu");
  await br.settled();
  assert.deepEqual(billing.mock.calls[0]?.body, { id: 7, item: "cake", quantity: 2 });
  assert.deepEqual(invoices.mock.lastCall?.body, { orderId: 7, region: "eu", total: 8.5 });
  assert.deepEqual(printer.mock.calls[0]?.body, { orderId: 7, region: "eu", total: 8.5 });
});

test("rejects an order that fails its schema without billing it", async () => {
  await using br = await testBroker(broker);
  await br.publish({ id: 8, item: "tea", quantity: 0 }, "orders.us");
  await br.settled();
  assert.equal(billing.mock.calls.length, 0);
  assert.equal(invoices.mock.calls.length, 0);
});
