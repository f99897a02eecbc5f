import { test } from "node:test";
import assert from "node:assert/strict";
import { testBroker } from "@sluice/core/testing";
import { broker, spans } from "./app.ts";
import { traceTree } from "./tree.ts";

test("a quote and the price request behind it make one trace", async () => {
  spans.reset();
  await using br = await testBroker(broker);
  await br.request("tea", "quotes", { timeout: 1000 });
  await br.settled();
  const finished = spans.getFinishedSpans();
  assert.equal(new Set(finished.map((s) => s.spanContext().traceId)).size, 1);
  assert.deepEqual(traceTree(finished), [
    "request quotes",
    "  process quotes",
    "    request prices",
    "      process prices",
    "        reply",
    "    reply",
  ]);
});
