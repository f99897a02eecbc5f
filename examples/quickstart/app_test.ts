// The same file runs under `deno test` and `bun test`.
import { test } from "node:test";
import assert from "node:assert/strict";
import { testBroker } from "@sluice/core/testing";
import { broker, created, welcomed } from "./app.ts";

test("welcomes new users", async () => {
  await using br = await testBroker(broker); // in memory; { real: true } hits the real broker
  await br.publish({ name: "Ada", id: 1 }, "users.created");
  await br.settled(); //                       every downstream handler has finished
  assert.deepEqual(created.mock.calls[0]?.body, { name: "Ada", id: 1 });
  assert.deepEqual(welcomed.mock.calls[0]?.body, { text: "welcome, Ada" });
});

test("rejects a user without an id, and logs why", async () => {
  await using br = await testBroker(broker);
  await br.publish({ name: "Bob" }, "users.created");
  await br.settled();
  assert.equal(created.mock.calls.length, 0);
});
