import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { type } from "arktype";
import { BatchFailure, memory, OptionError } from "@sluice/core";
import { testBroker } from "@sluice/core/testing";
import { deferred, recordingLogger } from "./_helpers.ts";

describe("subscriber", () => {
  it("handles one message at a time by default and never more than `concurrency`", async () => {
    const { logger } = recordingLogger();
    const broker = memory({ logger });
    let running = 0;
    let peak = 0;
    broker.subscriber("work", { concurrency: 3 }).handle(async () => {
      peak = Math.max(peak, ++running);
      await new Promise((r) => setTimeout(r, 5));
      running--;
    });
    let sequentialPeak = 0;
    let sequentialRunning = 0;
    broker.subscriber("serial").handle(async () => {
      sequentialPeak = Math.max(sequentialPeak, ++sequentialRunning);
      await new Promise((r) => setTimeout(r, 2));
      sequentialRunning--;
    });
    await using br = await testBroker(broker);
    for (let i = 0; i < 12; i++) {
      await br.publish(i, "work");
      await br.publish(i, "serial");
    }
    await br.settled();
    assert.equal(peak, 3);
    assert.equal(sequentialPeak, 1);
  });

  it("keeps order within a key and runs keys in parallel with orderBy", async () => {
    const broker = memory({ logLevel: "error" });
    const seen: string[] = [];
    broker.subscriber("events", {
      concurrency: 4,
      orderBy: (m) => m.headers["x-user"] ?? "",
    }).handle(async (n: unknown, ctx) => {
      // Later messages of a key finish faster: without ordering they would overtake.
      await new Promise((r) => setTimeout(r, 20 - (n as number)));
      seen.push(`${ctx.message.headers["x-user"]}:${n}`);
    });
    await using br = await testBroker(broker);
    for (let n = 0; n < 6; n++) {
      await br.publish(n, "events", { headers: { "x-user": n % 2 ? "bob" : "ann" } });
    }
    await br.settled();
    assert.deepEqual(seen.filter((s) => s.startsWith("ann")), ["ann:0", "ann:2", "ann:4"]);
    assert.deepEqual(seen.filter((s) => s.startsWith("bob")), ["bob:1", "bob:3", "bob:5"]);
  });

  it("acknowledges before the handler runs with ack: first, so a failure is not redelivered", async () => {
    const { logger, logs } = recordingLogger();
    const broker = memory({ logger });
    let calls = 0;
    broker.subscriber("once", { ack: "first", onError: "nack" }).handle(() => {
      calls++;
      throw new Error("boom");
    });
    await using br = await testBroker(broker);
    await br.publish("x", "once");
    await br.settled();
    assert.equal(calls, 1);
    assert.equal(logs.find("error", "boom").length, 1);
  });

  it("gives a batch handler typed arrays and acks the messages a BatchFailure does not name", async () => {
    const broker = memory({ logLevel: "error" });
    const dead: unknown[] = [];
    const rows = broker
      .subscriber("rows", { batch: { size: 4, timeout: 50 }, schema: type("number"), deadLetter: "rows.dlq" })
      .handle((batch) => {
        const total: number = batch.reduce((a, b) => a + b, 0);
        if (batch.includes(3)) throw new BatchFailure([batch.indexOf(3)], new Error(`row 3 of ${total}`));
      });
    broker.subscriber("rows.dlq").handle((row, ctx) => {
      dead.push([row, ctx.message.headers["x-sluice-error"]]);
    });
    await using br = await testBroker(broker);
    await br.broker.publishBatch([1, 2, 3, 4], "rows");
    await br.settled();
    assert.deepEqual(rows.mock.calls.map((c) => c.body), [[1, 2, 3, 4]]);
    assert.deepEqual(dead, [[3, "Error: row 3 of 10"]]);
  });

  it("redelivers only the failed message of a batch", async () => {
    const broker = memory({ logLevel: "error" });
    const attempts = new Map<number, number>();
    broker.subscriber("rows", { batch: { size: 3, timeout: 20 }, onError: "nack", schema: type("number") })
      .handle((batch) => {
        for (const n of batch) attempts.set(n, (attempts.get(n) ?? 0) + 1);
        const bad = batch.indexOf(2);
        if (bad !== -1 && attempts.get(2) === 1) throw new BatchFailure([bad]);
      });
    await using br = await testBroker(broker);
    await br.broker.publishBatch([1, 2, 3], "rows");
    await br.settled();
    assert.deepEqual(Object.fromEntries(attempts), { 1: 1, 2: 2, 3: 1 });
  });

  it("backs off between redeliveries instead of spinning", async () => {
    const broker = memory({ logLevel: "error" });
    const times: number[] = [];
    broker.subscriber("flaky", { onError: "nack", retry: { delay: 30, factor: 2 } }).handle(() => {
      times.push(Date.now());
      if (times.length < 3) throw new Error("again");
    });
    await using br = await testBroker(broker);
    await br.publish("x", "flaky");
    await br.settled();
    assert.equal(times.length, 3);
    assert.ok(times[1]! - times[0]! >= 25, `first back-off was ${times[1]! - times[0]!} ms`);
    assert.ok(times[2]! - times[1]! >= 55, `second back-off was ${times[2]! - times[1]!} ms`);
  });

  it("rejects a message no handler's filter accepts, and says to add a catch-all", async () => {
    const { logger, logs } = recordingLogger();
    const broker = memory({ logger });
    broker.subscriber("picky").handle(() => {}, { filter: (m) => m.body === "yes" });
    await using br = await testBroker(broker);
    await br.publish("no", "picky", { messageId: "m-1" });
    await br.settled();
    const [line] = logs.find("error", "m-1");
    assert.match(
      line?.message ?? "",
      /No handler of picky matches message m-1: add a handler without a filter last/,
    );
  });

  it("refuses bad options at once, naming them", () => {
    const broker = memory();
    assert.throws(() => broker.subscriber("x", { concurrency: 0 }), OptionError);
    assert.throws(() => broker.subscriber("x", { batch: 0 }), /batch size must be at least 1/);
    const batch = broker.subscriber("y", { batch: 2 });
    batch.handle(() => {});
    assert.throws(() => batch.handle(() => {}), /takes one handler/);
  });

  it("drains in-flight handlers on close before disconnecting", async () => {
    const broker = memory({ logLevel: "error" });
    const started = deferred();
    let finished = false;
    broker.subscriber("slow").handle(async () => {
      started.resolve();
      await new Promise((r) => setTimeout(r, 50));
      finished = true;
    });
    await broker.start();
    await broker.publish("x", "slow");
    await started.promise;
    await broker.close();
    assert.equal(finished, true);
  });

  it("types path parameters from the template", async () => {
    const broker = memory({ logLevel: "error" });
    const seen: string[] = [];
    broker.subscriber("shop.{region}.{store}").handle((_body, ctx) => {
      const region: string = ctx.path.region;
      seen.push(`${region}/${ctx.path.store}`);
    });
    await using br = await testBroker(broker);
    await br.publish({}, "shop.eu.berlin");
    await br.settled();
    assert.deepEqual(seen, ["eu/berlin"]);
  });
});
