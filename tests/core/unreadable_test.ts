// A message its driver could not read (a malformed envelope) reaches the core with a DecodeError: the core
// never decodes it or calls a handler, and the subscriber's error policy applies as for any undecodable body.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  Broker,
  DecodeError,
  type Deliver,
  type Driver,
  type IncomingMessage,
  type OutgoingMessage,
} from "@sluice/core";
import { memoryRules } from "@sluice/core/kit";
import { recordingLogger } from "./_helpers.ts";

/** A driver whose test hands messages to the subscriber directly and records what was published. */
function handDriver(): Driver & {
  hand(channel: string, message: Partial<IncomingMessage>): Promise<string[]>;
  published: { channel: string; message: OutgoingMessage }[];
} {
  const subscribers = new Map<string, Deliver>();
  const published: { channel: string; message: OutgoingMessage }[] = [];
  return {
    name: "hand",
    url: "hand://",
    rules: memoryRules,
    connect: () => Promise.resolve(),
    close: () => Promise.resolve(),
    subscribe(spec, deliver) {
      subscribers.set(spec.channel, deliver);
      return Promise.resolve({ stop: () => Promise.resolve(void subscribers.delete(spec.channel)) });
    },
    publish(channel, message) {
      published.push({ channel, message });
      return Promise.resolve();
    },
    published,
    async hand(channel, message) {
      const settled: string[] = [];
      const settle = (how: string) => () => Promise.resolve(void settled.push(how));
      await subscribers.get(channel)!({
        channel,
        body: new Uint8Array(0),
        headers: {},
        ...message,
        ack: settle("ack"),
        nack: settle("nack"),
        reject: settle("reject"),
      });
      return settled;
    },
  };
}

const garbled = new Uint8Array([0x89, 0x42, 0x49, 0x4e, 0x7b, 0x7d]);

describe("a message the driver could not read", () => {
  it("is rejected with one logged error naming it, and no handler runs", async () => {
    const { logger, logs } = recordingLogger();
    const driver = handDriver();
    const broker = new Broker(driver, { logger });
    const handler = broker.subscriber("orders", { onError: "nack" }).handle(() => {});
    await broker.start();
    try {
      const settled = await driver.hand("orders", {
        body: garbled,
        messageId: "m-41",
        decodeError: new DecodeError("Malformed envelope: header 1 runs past the body"),
      });
      assert.deepEqual(settled, ["reject"]);
      assert.equal(handler.mock.calls.length, 0);
      const errors = logs.records.filter((r) => r.level === "error");
      assert.equal(errors.length, 1);
      assert.match(
        errors[0]!.message,
        /^Message m-41 failed: DecodeError: Malformed envelope: header 1 runs past the body; rejected$/,
      );
      // The next, readable message is handled as usual.
      assert.deepEqual(await driver.hand("orders", { body: new TextEncoder().encode("7") }), ["ack"]);
    } finally {
      await broker.close();
    }
  });

  it("is dead-lettered with the bytes as they arrived and the error in x-sluice-error", async () => {
    const { logger } = recordingLogger();
    const driver = handDriver();
    const broker = new Broker(driver, { logger });
    broker.subscriber("orders", { deadLetter: "orders.dlq" }).handle(() => {});
    await broker.start();
    try {
      const settled = await driver.hand("orders", {
        body: garbled,
        messageId: "m-42",
        decodeError: new DecodeError("Malformed envelope: truncated"),
      });
      assert.deepEqual(settled, ["ack"]);
      assert.equal(driver.published.length, 1);
      const [dead] = driver.published;
      assert.equal(dead!.channel, "orders.dlq");
      assert.deepEqual([...dead!.message.body], [...garbled]);
      assert.equal(dead!.message.headers["x-sluice-error"], "DecodeError: Malformed envelope: truncated");
    } finally {
      await broker.close();
    }
  });
});
