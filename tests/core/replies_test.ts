// Requests waiting for replies, and the one timer their timeouts share (core/kit/replies.ts, deadlines.ts).
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import process from "node:process";
import { StateError, TimeoutError } from "@sluice/core";
import { AwaitedReplies, Deadlines } from "@sluice/core/kit";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe("deadlines", () => {
  it("fire in the order they fall due, whatever order they were added in, and not when cancelled", async () => {
    const deadlines = new Deadlines();
    const fired: string[] = [];
    deadlines.add(60, () => fired.push("60"));
    deadlines.add(20, () => fired.push("20"));
    const cancelled = deadlines.add(10, () => fired.push("10"));
    deadlines.add(40, () => fired.push("40"));
    cancelled.cancel();
    await sleep(120);
    assert.deepEqual(fired, ["20", "40", "60"]);
    assert.equal(deadlines.size, 0);
  });

  it("drop a cancelled deadline at once when it is the next to fall due", () => {
    const deadlines = new Deadlines();
    const first = deadlines.add(5000, () => assert.fail("cancelled"));
    const second = deadlines.add(5000, () => assert.fail("cancelled"));
    assert.equal(deadlines.size, 2);
    second.cancel(); // not the earliest: stays until it reaches the top
    assert.equal(deadlines.size, 2);
    first.cancel();
    assert.equal(deadlines.size, 0);
  });

  it("fire the others when one throws, and hand what it threw to onError", async () => {
    const thrown: unknown[] = [];
    const deadlines = new Deadlines((error) => void thrown.push(error));
    const fired: number[] = [];
    deadlines.add(10, () => {
      throw new Error("a broken expiry");
    });
    deadlines.add(10, () => fired.push(2));
    deadlines.add(30, () => fired.push(3));
    await sleep(80);
    assert.deepEqual(fired, [2, 3]);
    assert.deepEqual(thrown.map((error) => (error as Error).message), ["a broken expiry"]);
  });

  it("fire none after clear(), and work again after it", async () => {
    const deadlines = new Deadlines();
    const fired: string[] = [];
    deadlines.add(10, () => fired.push("before"));
    deadlines.clear();
    deadlines.add(10, () => fired.push("after"));
    await sleep(60);
    assert.deepEqual(fired, ["after"]);
  });
});

describe("awaited replies", () => {
  it("hand each reply to the request with its id, and say when nobody waits", async () => {
    const replies = new AwaitedReplies<string>();
    const a = replies.wait("a", 5000, undefined, () => new Error("no reply"));
    const b = replies.wait("b", 5000, undefined, () => new Error("no reply"));
    assert.equal(replies.size, 2);
    assert.equal(replies.resolve("b", "to b"), true);
    assert.equal(replies.resolve("a", "to a"), true);
    assert.equal(replies.resolve("a", "again"), false);
    assert.equal(replies.resolve("c", "unknown"), false);
    assert.deepEqual(await Promise.all([a, b]), ["to a", "to b"]);
    assert.equal(replies.size, 0);
    replies.close(new Error("closed"));
  });

  it("reject with the caller's error when the timeout passes, and drop a reply that comes later", async () => {
    const replies = new AwaitedReplies<string>();
    const reply = replies.wait(
      "late",
      20,
      undefined,
      () => new TimeoutError("no reply from orders in 20 ms"),
    );
    await assert.rejects(reply, { name: "TimeoutError", message: "no reply from orders in 20 ms" });
    assert.equal(replies.has("late"), false);
    assert.equal(replies.resolve("late", "too late"), false);
  });

  it("reject with the signal's reason when it aborts, or at once when it already has", async () => {
    const replies = new AwaitedReplies<string>();
    const controller = new AbortController();
    const reply = replies.wait("x", 5000, controller.signal, () => new Error("no reply"));
    controller.abort(new Error("the user left"));
    await assert.rejects(reply, { message: "the user left" });
    assert.equal(replies.size, 0);
    await assert.rejects(
      replies.wait("y", 5000, AbortSignal.abort(new Error("gone already")), () => new Error("no reply")),
      { message: "gone already" },
    );
    assert.equal(replies.has("y"), false);
  });

  it("refuse a second wait for an id that waits, and keep the first", async () => {
    const replies = new AwaitedReplies<string>();
    const first = replies.wait("same", 5000, undefined, () => new Error("no reply"));
    await assert.rejects(replies.wait("same", 5000, undefined, () => new Error("no reply")), StateError);
    replies.resolve("same", "to the first");
    assert.equal(await first, "to the first");
  });

  it("fail one request, or every one, with the given error", async () => {
    const replies = new AwaitedReplies<string>();
    const one = replies.wait("one", 5000, undefined, () => new Error("no reply"));
    const two = replies.wait("two", 5000, undefined, () => new Error("no reply"));
    const three = replies.wait("three", 5000, undefined, () => new Error("no reply"));
    assert.equal(replies.reject("one", new Error("the publish failed")), true);
    await assert.rejects(one, { message: "the publish failed" });
    replies.close(new StateError("closed before the reply came"));
    await assert.rejects(two, { name: "StateError", message: "closed before the reply came" });
    await assert.rejects(three, StateError);
    assert.equal(replies.size, 0);
  });

  it("let a rejection wait for a late await without counting as unhandled", async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => void unhandled.push(reason);
    process.on("unhandledRejection", onUnhandled);
    try {
      const replies = new AwaitedReplies<string>();
      const reply = replies.wait("slow", 10, undefined, () => new TimeoutError("no reply"));
      await sleep(50); // the request's publish took longer than its timeout
      await assert.rejects(reply, TimeoutError);
    } finally {
      process.off("unhandledRejection", onUnhandled);
    }
    assert.deepEqual(unhandled, []);
  });
});
