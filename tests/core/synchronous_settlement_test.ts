// A driver whose settle methods return SETTLED (the ack is done when the call returns): the core ends such a
// message before `deliver` returns and runs the next one at once — and still waits for an ack that returns any
// other promise, keeps the order at concurrency 1, and applies the error policy as before.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { Broker, SETTLED } from "@sluice/core";
import { recordingDriver, recordingLogger } from "./_helpers.ts";

/** The recording driver, its messages numbered; acks return SETTLED unless `ack` says otherwise. */
function syncDriver(ack: (id: number) => Promise<void> = () => SETTLED) {
  const { driver, deliver, settled } = recordingDriver((id) => ack(Number(id)));
  return { driver, deliver: (id: number) => deliver(String(id), { id }), settled };
}

const idOf = (body: unknown): number => (body as { id: number }).id;

describe("synchronous settlement (SETTLED)", () => {
  it("ends a message before deliver returns, and deliver returns SETTLED", async () => {
    const { driver, deliver, settled } = syncDriver();
    const broker = new Broker(driver, { logLevel: "error" });
    const seen: number[] = [];
    broker.subscriber("orders").handle((body) => void seen.push(idOf(body)));
    await broker.start();
    const first = deliver(1);
    const second = deliver(2);
    // Nothing awaited yet: both ran and were acked inside their deliver calls.
    assert.deepEqual(seen, [1, 2]);
    assert.deepEqual(settled, ["ack 1", "ack 2"]);
    assert.equal(first, SETTLED);
    assert.equal(second, SETTLED);
    await broker.close();
  });

  it("runs the messages queued behind a slow one in a loop when it ends, in order, however many", async () => {
    const { driver, deliver, settled } = syncDriver();
    const broker = new Broker(driver, { logLevel: "error" });
    const seen: number[] = [];
    let release!: () => void;
    const slow = new Promise<void>((resolve) => (release = resolve));
    broker.subscriber("orders", { prefetch: 50_000 }).handle(async (body) => {
      if (idOf(body) === 0) await slow;
      seen.push(idOf(body));
    });
    await broker.start();
    const delivered = [deliver(0)];
    // More than any call stack holds if each ran inside the previous one's settlement.
    for (let id = 1; id <= 30_000; id++) delivered.push(deliver(id));
    assert.deepEqual(seen, [], "concurrency 1: the others wait for the slow one");
    release();
    await Promise.all(delivered);
    assert.equal(seen.length, 30_001);
    assert.ok(seen.every((id, index) => id === index), "in arrival order");
    assert.equal(settled.length, 30_001);
    await broker.close();
  });

  it("waits for an ack that returns an ordinary promise before the next message at concurrency 1", async () => {
    const acks = new Map<number, () => void>();
    const { driver, deliver } = syncDriver((id) => new Promise((resolve) => acks.set(id, resolve)));
    const broker = new Broker(driver, { logLevel: "error" });
    const seen: number[] = [];
    broker.subscriber("orders", { prefetch: 2 }).handle((body) => void seen.push(idOf(body)));
    await broker.start();
    const first = deliver(1);
    const second = deliver(2);
    assert.notEqual(first, SETTLED);
    await new Promise((resolve) => setTimeout(resolve, 10));
    assert.deepEqual(seen, [1], "the second waits for the first one's ack");
    acks.get(1)!();
    await first;
    await new Promise((resolve) => setTimeout(resolve, 10));
    assert.deepEqual(seen, [1, 2]);
    acks.get(2)!();
    await second;
    await broker.close();
  });

  it("settles a message whose async handler waited for nothing two microtasks after it returned", async () => {
    const { driver, deliver, settled } = syncDriver();
    const broker = new Broker(driver, { logLevel: "error" });
    broker.subscriber("orders").handle(async () => {});
    await broker.start();
    let done = false;
    void deliver(1).then(() => (done = true));
    // One turn for the handler's promise, in whose reaction the message is acked and its slot freed, and one for
    // this test's: a reaction of the limiter's own added one (three in all), a step that handed SETTLED back
    // from a reaction two more (the promise adopting it).
    let turns = 0;
    while (!done && turns < 10) {
      turns++;
      await null;
    }
    assert.deepEqual(settled, ["ack 1"]);
    assert.equal(turns, 2);
    await broker.close();
  });

  it("applies the error policy (reject, by default) to a failing handler and goes on with the next message", async () => {
    const { driver, deliver, settled } = syncDriver();
    const { logger, logs } = recordingLogger();
    const broker = new Broker(driver, { logger });
    broker.subscriber("orders").handle((body) => {
      if (idOf(body) === 2) throw new Error("no");
    });
    await broker.start();
    await Promise.all([deliver(1), deliver(2), deliver(3)]);
    assert.deepEqual(settled, ["ack 1", "reject 2", "ack 3"]);
    assert.ok(
      logs.records.some((r) => r.level === "error" && r.message.includes("2")),
      "the failure is logged",
    );
    await broker.close();
  });
});
