// Smoke test against a real MQTT broker (Mosquitto) with the raw client (mqtt): QoS 1 round trip.
import { after, describe, it } from "node:test";
import assert from "node:assert/strict";
import mqtt from "mqtt";
import { realBroker } from "../_support/brokers.ts";

const broker = await realBroker("mqtt");

describe("mqtt smoke", { skip: broker ? false : "no real mqtt" }, () => {
  after(() => broker!.stop());

  it("publishes and consumes one message", { timeout: 30_000 }, async () => {
    const client = await mqtt.connectAsync(broker!.url, { reconnectPeriod: 0, connectTimeout: 5_000 });
    try {
      const topic = `sluice/smoke/${crypto.randomUUID()}`;
      const received = new Promise<string>((resolve) => {
        client.on("message", (t, payload) => t === topic && resolve(payload.toString()));
      });
      await client.subscribeAsync(topic, { qos: 1 });
      await client.publishAsync(topic, "hello mqtt", { qos: 1 });
      assert.equal(await received, "hello mqtt");
    } finally {
      await client.endAsync();
    }
  });
});
