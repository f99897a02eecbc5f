import { test } from "node:test";
import assert from "node:assert/strict";
import { testBroker } from "@sluice/core/testing";
import { broker, metricsEndpoint } from "./app.ts";

test("serves FastStream's metrics for what the app received and published", async () => {
  await using br = await testBroker(broker);
  await br.publish({ id: 1 }, "orders");
  await br.settled();
  const text = await metricsEndpoint().text();
  assert.match(
    text,
    /faststream_received_processed_messages_total\{app_name="shop",broker="memory",handler="orders",status="acked"\} 1\.0/,
  );
  assert.match(
    text,
    /faststream_published_messages_total\{app_name="shop",broker="memory",destination="invoices",status="success"\} 1\.0/,
  );
});
