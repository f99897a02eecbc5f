import { test } from "node:test";
import assert from "node:assert/strict";
import { testBroker } from "@sluice/core/testing";
import { api, broker, invoices, orders } from "./app.ts";

test("POST /orders publishes the order with the caller's correlation id, and the invoice follows", async () => {
  await using br = await testBroker(broker);
  const response = await api.request("/orders", {
    method: "POST",
    headers: { "x-correlation-id": "checkout-7" },
    body: JSON.stringify({ id: "A-1", item: "tea", quantity: 2 }),
  });
  assert.equal(response.status, 202);
  assert.deepEqual(await response.json(), { accepted: "A-1" });
  await br.settled();
  assert.deepEqual(orders.mock.calls[0]!.body, { id: "A-1", item: "tea", quantity: 2 });
  assert.equal(orders.mock.calls[0]!.correlationId, "checkout-7");
  assert.deepEqual(invoices.mock.calls[0]!.body, { order: "A-1", total: 19 });
});

test("POST /orders refuses an order that does not fit, and publishes nothing", async () => {
  await using _br = await testBroker(broker);
  const response = await api.request("/orders", {
    method: "POST",
    body: JSON.stringify({ id: "A-2", item: "tea", quantity: 0 }),
  });
  assert.equal(response.status, 422);
  assert.match((await response.json()).error, /quantity must be positive/);
  assert.equal(orders.mock.calls.length, 0);
});

test("GET /stock/:item asks the stock handler and answers with its reply", async () => {
  await using _br = await testBroker(broker);
  const response = await api.request("/stock/tea");
  assert.deepEqual(await response.json(), { item: "tea", available: 12 });
});
