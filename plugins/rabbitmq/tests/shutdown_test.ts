// Graceful shutdown on the real broker: close() waits for the handlers in flight, and their acks reach
// RabbitMQ before the connection closes, so a broker started afterwards on the same queue gets only what
// was never handled, and nothing is handled twice.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { silentLogger } from "@sluice/core";
import { rabbitmq } from "../mod.ts";
import { pause, realUrl, unique, until } from "./_targets.ts";

describe("graceful shutdown (real)", { skip: realUrl ? false : "no real RabbitMQ" }, () => {
  it("acknowledges every message whose handler finished during close(), none is redelivered", {
    timeout: 60_000,
  }, async () => {
    const channel = unique("shutdown.");
    const group = unique("shutdown-");
    const subscriber = { group, concurrency: 5, queue: { expires: 60_000 } };
    const handled: { id: number; redelivered: boolean; run: "first" | "second" }[] = [];

    const first = rabbitmq({ url: realUrl, logger: silentLogger });
    let started = 0;
    first.subscriber(channel, subscriber).handle(async (id, ctx) => {
      started++;
      await pause(300);
      handled.push({ id: id as number, redelivered: ctx.message.redelivered, run: "first" });
    });
    await first.start();
    for (let id = 0; id < 20; id++) await first.publish(id, channel);
    await until(() => handled.length >= 5 && started > handled.length, "messages in flight", 10_000);
    await first.close();
    const handledByFirst = handled.length;
    assert.ok(handledByFirst < 20, "close() left messages for the second broker");

    const second = rabbitmq({ url: realUrl, logger: silentLogger });
    second.subscriber(channel, subscriber).handle((id, ctx) => {
      handled.push({ id: id as number, redelivered: ctx.message.redelivered, run: "second" });
    });
    await second.start();
    try {
      await until(() => handled.length >= 20, "all 20 messages", 10_000);
      await pause(1000);
    } finally {
      await second.close();
    }

    const again = handled.filter((h) => h.run === "second" && h.redelivered).map((h) => h.id);
    assert.deepEqual(again, [], `redelivered after the restart: ${again.join(", ")}`);
    const ids = handled.map((h) => h.id).sort((a, b) => a - b);
    assert.deepEqual(ids, Array.from({ length: 20 }, (_, i) => i), "every message handled exactly once");
  });
});
