import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { createLogger, formatJson, memory, type Middleware } from "@sluice/core";
import { captureLogs, testBroker } from "@sluice/core/testing";

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

  it("puts fields a middleware adds to the context logger on the handler's lines and the core's failure lines", async () => {
    const tracing: Middleware = {
      consume(ctx, next) {
        ctx.logger = ctx.logger.child({ traceId: `trace-of-${ctx.message.messageId}` });
        return next();
      },
    };
    const logs = captureLogs();
    const broker = memory({ logger: createLogger({ sink: logs.sink }), middlewares: [tracing] });
    broker.subscriber("payments", { retry: { attempts: 2, delay: 1 } }).handle((_body, ctx) => {
      ctx.logger.info("charging");
      throw new Error("card declined");
    });
    await using br = await testBroker(broker);
    await br.publish({ amount: 10 }, "payments", { messageId: "p-1" });
    await br.settled();
    const about = logs.records.filter((r) => r.fields.messageId === "p-1");
    assert.deepEqual(about.map((r) => [r.level, r.fields.traceId]), [
      ["info", "trace-of-p-1"],
      ["warn", "trace-of-p-1"],
      ["info", "trace-of-p-1"],
      ["error", "trace-of-p-1"],
    ]);
    assert.match(about.at(-1)!.message, /failed: Error: card declined; rejected/);
  });

  it("names each message of a batch on its own failure line, with the batch's added fields", async () => {
    const logs = captureLogs();
    const broker = memory({
      logger: createLogger({ sink: logs.sink }),
      middlewares: [{ consume: (ctx, next) => ((ctx.logger = ctx.logger.child({ traceId: "t" })), next()) }],
    });
    broker.subscriber("rows", { batch: { size: 2, timeout: 10 } }).handle(() => {
      throw new Error("no");
    });
    await using br = await testBroker(broker);
    await br.broker.publishBatch([1, 2], "rows", {});
    await br.settled();
    const failed = logs.find("error", "failed");
    assert.equal(failed.length, 2);
    assert.equal(new Set(failed.map((r) => r.fields.messageId)).size, 2);
    assert.ok(failed.every((r) => r.fields.traceId === "t"));
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
