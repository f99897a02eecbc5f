// Sluice's logs through pino: the adapter in pino.ts, and the lines it gives.
import { test } from "node:test";
import assert from "node:assert/strict";
import { memory } from "@sluice/core";
import { testBroker } from "@sluice/core/testing";
import { pino } from "pino";
import { fromPino } from "./pino.ts";

test("writes Sluice's lines through pino, with the subscriber, message id and correlation id", async () => {
  const lines: string[] = [];
  const destination = { write: (line: string) => void lines.push(line) }; // in an app: pino's default, stdout

  const broker = memory({ logger: fromPino(pino({ level: "info" }, destination)) });
  broker.subscriber("orders").handle((order, ctx) => {
    ctx.logger.info("order taken", { order });
    throw new Error("out of stock");
  });

  await using br = await testBroker(broker);
  await br.publish({ id: 7 }, "orders", { messageId: "m-7", correlationId: "c-7" });
  await br.settled();
  const records = lines.map((line) => JSON.parse(line));
  const taken = records.find((r) => r.msg === "order taken");
  assert.equal(taken.level, 30); // pino's number for info
  assert.equal(taken.subscriber, "orders");
  assert.equal(taken.messageId, "m-7");
  assert.equal(taken.correlationId, "c-7");
  assert.deepEqual(taken.order, { id: 7 });
  const failed = records.find((r) => r.level === 50);
  assert.match(failed.msg, /Message m-7 failed: Error: out of stock; rejected/);
});
