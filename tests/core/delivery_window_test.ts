// The kit's delivery window, which every driver's consuming loop keeps: it counts a message until the core
// settles it — at once when `deliver` returns SETTLED, otherwise when the promise does — wakes a loop waiting
// for room, reports a rejected delivery with its message, and tells when nothing is left unsettled.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { type Deliver, type IncomingMessage, SETTLED } from "@sluice/core";
import { DeliveryWindow } from "@sluice/core/kit";
import { deferred } from "./_helpers.ts";

const message = (id: number) => ({ id }) as unknown as IncomingMessage;

describe("DeliveryWindow", () => {
  it("frees the slot of a message settled in the same turn before hand returns", () => {
    const window = new DeliveryWindow(2);
    const deliver: Deliver = () => SETTLED;
    for (let i = 0; i < 5; i++) {
      window.hand(deliver, message(i));
      assert.equal(window.open, 0);
    }
    assert.equal(window.room, 2);
  });

  it("counts a message until its promise settles, and wakes a loop waiting for room", async () => {
    const window = new DeliveryWindow(2);
    const pending = [deferred(), deferred()];
    let next = 0;
    const deliver: Deliver = () => pending[next++].promise;
    window.hand(deliver, message(0));
    window.hand(deliver, message(1));
    assert.equal(window.room, 0);
    let woke = false;
    const room = window.whenRoom().then(() => (woke = true));
    await Promise.resolve();
    assert.equal(woke, false, "no room while both are unsettled");
    pending[1].resolve();
    await room;
    assert.equal(window.open, 1);
    const drained = window.whenDrained();
    pending[0].resolve();
    await drained;
    assert.equal(window.open, 0);
  });

  it("mixes both kinds of delivery and drains when the last promise settles", async () => {
    const window = new DeliveryWindow(10);
    const slow = deferred();
    window.hand(() => slow.promise, message(0));
    window.hand(() => SETTLED, message(1));
    window.hand(() => SETTLED, message(2));
    assert.equal(window.open, 1, "only the slow one is still counted");
    let drained = false;
    const done = window.whenDrained().then(() => (drained = true));
    await Promise.resolve();
    assert.equal(drained, false);
    slow.resolve();
    await done;
    assert.equal(window.open, 0);
  });

  it("reports a rejected delivery with its message and frees its slot", async () => {
    const seen: [unknown, IncomingMessage][] = [];
    const window = new DeliveryWindow(1, (error, m) => seen.push([error, m]));
    const failure = new Error("driver crashed");
    const m = message(7);
    window.hand(() => Promise.reject(failure), m);
    await window.whenDrained();
    assert.deepEqual(seen, [[failure, m]]);
    assert.equal(window.room, 1);
  });

  it("asks for more room than one as a low-water mark, and close wakes every waiter", async () => {
    const window = new DeliveryWindow(3);
    const pending = [deferred(), deferred(), deferred()];
    pending.forEach((each, i) => window.hand(() => each.promise, message(i)));
    let woke = false;
    const lowWater = window.whenRoom(2).then(() => (woke = true));
    pending[0].resolve();
    await pending[0].promise;
    await Promise.resolve();
    assert.equal(woke, false, "one free slot is not two");
    pending[1].resolve();
    await lowWater;
    const stuck = window.whenRoom(3);
    window.close();
    await stuck;
    assert.equal(window.closed, true);
    assert.equal(window.open, 1, "close leaves unsettled messages counted");
  });

  it("takes slots until the function it returns is called, once", async () => {
    const window = new DeliveryWindow(4);
    const free = window.take(3);
    assert.equal(window.room, 1);
    window.hand(() => SETTLED, message(0));
    assert.equal(window.open, 3, "a delivery settled at once does not touch the taken slots");
    let woke = false;
    const room = window.whenRoom(2).then(() => (woke = true));
    const one = window.take();
    assert.equal(window.room, 0);
    free();
    await room;
    assert.equal(woke, true);
    assert.equal(window.open, 1);
    free();
    assert.equal(window.open, 1, "a second call frees nothing");
    const drained = window.whenDrained();
    one();
    await drained;
    assert.equal(window.room, 4);
  });
});
