import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { createLogger, formatJson, memory } from "@sluice/core";
import { testBroker } from "@sluice/core/testing";

/** Runs `body` with console.log, console.warn and console.error writing into the returned lines. */
async function consoleLines(body: () => Promise<void>): Promise<string[]> {
  const lines: string[] = [];
  const saved = { log: console.log, warn: console.warn, error: console.error };
  const keep = (line: unknown) => void lines.push(String(line));
  Object.assign(console, { log: keep, warn: keep, error: keep });
  try {
    await body();
  } finally {
    Object.assign(console, saved);
  }
  return lines;
}

describe("logs", () => {
  it("writes one JSON object per line with the broker, subscriber, message id and correlation id", async () => {
    const lines = await consoleLines(async () => {
      const broker = memory({ logFormat: "json" });
      broker.subscriber("orders").handle((_order, ctx) => ctx.logger.info("order taken", { items: 2 }));
      await using br = await testBroker(broker);
      await br.publish({ id: 1 }, "orders", { messageId: "m-1", correlationId: "c-1" });
      await br.settled();
    });
    const records = lines.map((line) => JSON.parse(line));
    const taken = records.find((r) => r.message === "order taken");
    assert.deepEqual(Object.keys(taken), [
      "time",
      "level",
      "message",
      "broker",
      "subscriber",
      "messageId",
      "correlationId",
      "items",
    ]);
    assert.equal(taken.level, "info");
    assert.equal(taken.broker, "memory");
    assert.equal(taken.subscriber, "orders");
    assert.equal(taken.messageId, "m-1");
    assert.equal(taken.correlationId, "c-1");
    assert.ok(!Number.isNaN(Date.parse(taken.time)), `time ${taken.time} is a date`);
    assert.ok(
      records.some((r) => r.message.startsWith("Connected to memory://")),
      "the broker's own lines too",
    );
  });

  it("formats errors, bigints, cycles and fields named like the record's own keys", () => {
    const cycle: Record<string, unknown> = { name: "loop" };
    cycle.self = cycle;
    const line = formatJson({
      level: "error",
      message: "it broke",
      time: new Date("2026-12-01T10:00:00.000Z"),
      fields: { error: new TypeError("bad"), offset: 12n, cycle, message: "shadowed", skipped: undefined },
    });
    assert.deepEqual(JSON.parse(line), {
      time: "2026-12-01T10:00:00.000Z",
      level: "error",
      message: "it broke",
      error: "TypeError: bad",
      offset: "12",
      cycle: "[object Object]",
      "fields.message": "shadowed",
    });
    assert.ok(!line.includes("\n"));
  });

  it("keeps the JSON format in child loggers and below the level writes nothing", async () => {
    const lines = await consoleLines(() => {
      const logger = createLogger({ level: "warn", format: "json", fields: { app: "shop" } });
      logger.info("hidden");
      logger.child({ subscriber: "orders" }).warn("slow", { ms: 120 });
      return Promise.resolve();
    });
    assert.equal(lines.length, 1);
    const { time: _time, ...rest } = JSON.parse(lines[0]!);
    assert.deepEqual(rest, { level: "warn", message: "slow", app: "shop", subscriber: "orders", ms: 120 });
  });
});
