// Smoke test against a real NATS server with the raw client: core subject round trip and a
// JetStream stream (the server must run with JetStream enabled).
import { after, describe, it } from "node:test";
import assert from "node:assert/strict";
import { connect } from "@nats-io/transport-node";
import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import { realBroker } from "../_support/brokers.ts";

const nats = await realBroker("nats");

describe("nats smoke", { skip: nats ? false : "no real nats" }, () => {
  after(() => nats!.stop());

  it("publishes and consumes one message", { timeout: 30_000 }, async () => {
    const nc = await connect({ servers: nats!.url, reconnect: false });
    try {
      const subject = `sluice.smoke.${crypto.randomUUID()}`;
      const sub = nc.subscribe(subject, { max: 1 });
      nc.publish(subject, "hello nats");
      for await (const msg of sub) {
        assert.equal(msg.string(), "hello nats");
      }
      assert.equal(sub.getProcessed(), 1);
    } finally {
      await nc.close();
    }
  });

  it("stores and consumes one message with JetStream", { timeout: 30_000 }, async () => {
    const nc = await connect({ servers: nats!.url, reconnect: false });
    const stream = `sluice_smoke_${crypto.randomUUID().replaceAll("-", "")}`;
    const jsm = await jetstreamManager(nc);
    try {
      await jsm.streams.add({ name: stream, subjects: [`${stream}.>`] });
      const ack = await jetstream(nc).publish(`${stream}.greeting`, "hello jetstream");
      assert.equal(ack.stream, stream);
      const consumer = await jetstream(nc).consumers.get(stream);
      const msg = await consumer.next({ expires: 5_000 });
      assert.ok(msg, "no message from the stream");
      assert.equal(msg.string(), "hello jetstream");
      msg.ack();
    } finally {
      await jsm.streams.delete(stream).catch(() => {});
      await nc.close();
    }
  });
});
