// A handler's mqttResponse: its MQTT publish options (QoS, retain) and headers reach the published result,
// on the emulation and on the real broker (Mosquitto, MQTT 5).
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { testBroker } from "@sluice/core/testing";
import { type MqttPacket, mqttResponse } from "../mod.ts";
import { targets, unique, until } from "./_targets.ts";

for (const target of targets()) {
  describe(`mqtt responses (${target.name})`, () => {
    it("publishes the result with the QoS, retain flag and headers of the handler's mqttResponse", {
      timeout: 30_000,
    }, async () => {
      const root = unique();
      const app = target.broker();
      app.subscriber(`${root}/in`).publisher(`${root}/out`).handle((reading: unknown) =>
        mqttResponse(reading, { qos: 1, retain: true, headers: { "x-unit": "celsius" } })
      );
      const live: { body: unknown; qos: number; unit?: string }[] = [];
      app.subscriber(`${root}/out`, { qos: 2 }).handle((body, ctx) => {
        live.push({ body, qos: (ctx.message.native as MqttPacket).qos, unit: ctx.message.headers["x-unit"] });
      });
      await using br = await testBroker(app, { real: target.real });
      await br.publish({ t: 21 }, `${root}/in`, { qos: 1 });
      await until(() => live.length === 1, "the result");
      // QoS 1 as published (the subscription allows 2), and the header.
      assert.deepEqual(live, [{ body: { t: 21 }, qos: 1, unit: "celsius" }]);

      // Retained: a subscriber that comes later is handed it, flagged as retained.
      const later = target.broker();
      const retained: { body: unknown; retain: boolean }[] = [];
      later.subscriber(`${root}/out`).handle((body, ctx) => {
        retained.push({ body, retain: (ctx.message.native as MqttPacket).retain });
      });
      await using _later = await testBroker(later, { real: target.real });
      await until(() => retained.length === 1, "the retained result");
      assert.deepEqual(retained, [{ body: { t: 21 }, retain: true }]);
      await br.publish(new Uint8Array(0), `${root}/out`, { retain: true }); // clears it
    });
  });
}
