// The bounds of what waits for a slow handler where the broker has no flow control (core/kit/pending.ts).
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { createLogger } from "@sluice/core";
import { DEFAULT_PENDING, overLimit, pendingLimits, PendingQueue, SlowConsumer } from "@sluice/core/kit";

describe("pending limits", () => {
  it("takes the NATS clients' defaults where a subscriber names none", () => {
    assert.deepEqual(DEFAULT_PENDING, { messages: 65_536, bytes: 67_108_864 });
    assert.deepEqual(pendingLimits({ maxPending: 10 }), { messages: 10, bytes: 67_108_864 });
    assert.deepEqual(pendingLimits({ maxPendingBytes: 100 }), { messages: 65_536, bytes: 100 });
  });

  it("has no room for a message past either bound", () => {
    const limits = { messages: 3, bytes: 100 };
    assert.equal(overLimit(limits, 2, 50, 50), false);
    assert.equal(overLimit(limits, 3, 0, 1), true);
    assert.equal(overLimit(limits, 0, 50, 51), true);
  });

  it("tells of every message dropped, warns when dropping starts and gives the count on catching up", () => {
    const warnings: string[] = [];
    const logger = createLogger({ level: "warn", sink: (record) => void warnings.push(record.message) });
    const dropped: string[] = [];
    const slow = new SlowConsumer("Subscriber orders", "raise maxPending", logger, {
      dropped: (channel) => void dropped.push(channel),
    });
    assert.equal(slow.dropping, false);
    for (let i = 0; i < 1000; i++) slow.drop(`orders.${i % 2}`, 5, 500);
    assert.equal(slow.dropping, true);
    assert.equal(dropped.length, 1000);
    assert.deepEqual(dropped.slice(0, 3), ["orders.0", "orders.1", "orders.0"]);
    assert.deepEqual(warnings, [
      "Subscriber orders is 5 messages (500 bytes) behind its handler: dropping new messages until it catches " +
      "up, 1 so far (raise maxPending)",
    ]);
    slow.caughtUp();
    assert.equal(slow.dropping, false);
    assert.equal(warnings[1], "Subscriber orders caught up after dropping 1000 messages");
  });

  it("queues in order within its bounds, and reports the subscriber caught up when it empties", () => {
    const warnings: string[] = [];
    const logger = createLogger({ level: "warn", sink: (record) => void warnings.push(record.message) });
    const queue = new PendingQueue<string>(
      { messages: 2, bytes: 100 },
      new SlowConsumer("Subscriber orders", "raise maxPending", logger),
      (item) => item.length,
    );
    for (const item of ["a", "bb", "ccc"]) if (queue.admits(item.length, "orders")) queue.push(item);
    assert.equal(queue.length, 2);
    assert.equal(warnings.length, 1);
    assert.equal(queue.shift(), "a");
    assert.equal(queue.shift(), "bb");
    assert.equal(queue.length, 0);
    assert.equal(warnings[1], "Subscriber orders caught up after dropping 1 messages");
    queue.push("x".repeat(60));
    assert.equal(queue.admits(41, "orders"), false);
    assert.deepEqual(queue.clear(), ["x".repeat(60)]);
    assert.equal(queue.admits(100, "orders"), true);
  });
});
