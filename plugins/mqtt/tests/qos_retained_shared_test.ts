// QoS per subscriber and per publish, retained messages, and shared subscriptions.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { testBroker } from "@sluice/core/testing";
import type { MqttPacket } from "../mod.ts";
import { pause, targets, unique, until } from "./_targets.ts";

for (const target of targets()) {
  describe(`QoS, retained, shared (${target.name})`, () => {
    it(
      "delivers with the lower of the publish's and the subscription's QoS",
      { timeout: 30_000 },
      async () => {
        const topic = `${unique()}/q`;
        const app = target.broker();
        const got: { sub: number; body: number; qos: number }[] = [];
        for (const sub of [0, 1, 2] as const) {
          app.subscriber(topic, { qos: sub }).handle((body, ctx) => {
            got.push({ sub, body: body as number, qos: (ctx.message.native as MqttPacket).qos });
          });
        }
        await using br = await testBroker(app, { real: target.real });
        for (const qos of [0, 1, 2] as const) await br.publish(qos, topic, { qos });
        await until(() => got.length === 9, "nine deliveries");
        for (const { sub, body, qos } of got) {
          assert.equal(qos, Math.min(sub, body), `sub ${sub}, publish ${body}`);
        }
      },
    );

    it("delivers the retained message to a new subscriber, and an empty retained body clears it", {
      timeout: 30_000,
    }, async () => {
      const root = unique();
      await using publisher = await testBroker(target.broker(), { real: target.real });
      await publisher.publish({ celsius: 21 }, `${root}/kitchen/temp`, { retain: true });
      await publisher.publish({ celsius: 19 }, `${root}/hall/temp`, { retain: true });
      await publisher.publish({ celsius: 30 }, `${root}/attic/temp`, { retain: true });
      await publisher.publish(new Uint8Array(0), `${root}/attic/temp`, { retain: true }); // clears it

      const app = target.broker();
      const seen: { room: string; body: unknown; retain: boolean }[] = [];
      app.subscriber(`${root}/{room}/temp`).handle((body, ctx) => {
        seen.push({ room: ctx.path.room!, body, retain: (ctx.message.native as MqttPacket).retain });
      });
      await using br = await testBroker(app, { real: target.real });
      await until(() => seen.length === 2, "two retained readings");
      await br.publish({ celsius: 22 }, `${root}/kitchen/temp`);
      await until(() => seen.length === 3, "the live reading");
      await pause(target);
      assert.deepEqual(seen.slice(0, 2).sort((a, b) => a.room.localeCompare(b.room)), [
        { room: "hall", body: { celsius: 19 }, retain: true },
        { room: "kitchen", body: { celsius: 21 }, retain: true },
      ]);
      assert.deepEqual(seen[2], { room: "kitchen", body: { celsius: 22 }, retain: false });
      for (const room of ["kitchen", "hall"]) {
        await publisher.publish(new Uint8Array(0), `${root}/${room}/temp`, { retain: true });
      }
    });

    it(
      "splits a shared subscription's messages between its members, with path parameters from the real topic",
      {
        timeout: 30_000,
      },
      async () => {
        const root = unique();
        const app = target.broker();
        const byMember: string[][] = [[], []];
        for (const member of [0, 1]) {
          app.subscriber(`${root}/jobs/{kind}`, { group: "workers" }).handle((_body, ctx) => {
            byMember[member]!.push(`${ctx.path.kind}:${ctx.message.channel}`);
          });
        }
        const solo = app.subscriber(`${root}/jobs/+`).handle(() => {});
        await using br = await testBroker(app, { real: target.real });
        for (let i = 0; i < 20; i++) await br.publish(i, `${root}/jobs/${i % 2 ? "odd" : "even"}`);
        await until(() => byMember[0]!.length + byMember[1]!.length === 20, "20 jobs");
        await until(() => solo.mock.calls.length === 20, "20 jobs for the plain subscriber");
        await pause(target);
        assert.equal(byMember[0]!.length + byMember[1]!.length, 20);
        assert.ok(byMember[0]!.length > 0 && byMember[1]!.length > 0, "both members got work");
        for (const entry of byMember.flat()) {
          const [kind, channel] = entry.split(":");
          assert.equal(channel, `${root}/jobs/${kind}`);
        }
      },
    );
  });
}
