// Persistent sessions: a QoS 1 subscriber with a client id and clean: false gets what it missed; at-least-once
// holds across a lost connection; clean sessions forget.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { OptionError } from "@sluice/core";
import { testBroker } from "@sluice/core/testing";
import { pause, targets, unique, until } from "./_targets.ts";

for (const target of targets()) {
  describe(`sessions (${target.name})`, () => {
    it(
      "gives a persistent QoS 1 subscriber what was published while it was away",
      { timeout: 30_000 },
      async () => {
        const topic = `${unique()}/orders`;
        const clientId = `inventory-${unique()}`;
        const received: unknown[] = [];
        const subscriberApp = target.broker();
        subscriberApp
          .subscriber(topic, { qos: 1, clientId, clean: false, sessionExpiry: 60 })
          .handle((body) => void received.push(body));
        const publisherApp = target.broker();
        await using publisher = await testBroker(publisherApp, { real: target.real });

        const first = await testBroker(subscriberApp, { real: target.real });
        await publisher.publish({ n: 1 }, topic, { qos: 1 });
        await until(() => received.length === 1, "the first order");
        await first.close();

        await publisher.publish({ n: 2 }, topic, { qos: 1 });
        await publisher.publish({ n: 3 }, topic, { qos: 1 });
        await publisher.publish({ n: 4 }, topic, { qos: 0 }); // QoS 0 is not stored for a session that is away
        await pause(target);
        assert.equal(received.length, 1);

        await using _again = await testBroker(subscriberApp, { real: target.real });
        await until(() => received.length === 3, "the two missed orders");
        await pause(target);
        assert.deepEqual(received, [{ n: 1 }, { n: 2 }, { n: 3 }]);
      },
    );

    it(
      "drains what a persistent session stored through a handler that takes its time",
      { timeout: 30_000 },
      async () => {
        // The broker sends a resumed session's stored messages right after the CONNACK, before MQTT.js
        // reports the connection: each must still be acknowledged when its handler ends after that report,
        // or the broker, one message in flight at a time, sends nothing more.
        const topic = `${unique()}/jobs`;
        const clientId = `worker-${unique()}`;
        const handled: number[] = [];
        const app = target.broker();
        app.subscriber(topic, { qos: 1, clientId, clean: false, sessionExpiry: 60 }).handle(
          async (body) => {
            await new Promise((resolve) => setTimeout(resolve, 20));
            handled.push((body as { n: number }).n);
          },
        );
        await using publisher = await testBroker(target.broker(), { real: target.real });
        const first = await testBroker(app, { real: target.real });
        await first.close();
        for (let n = 1; n <= 5; n++) await publisher.publish({ n }, topic, { qos: 1 });

        await using _again = await testBroker(app, { real: target.real });
        await until(() => handled.length >= 5, "the five stored jobs");
        await pause(target);
        assert.deepEqual(handled, [1, 2, 3, 4, 5]);
      },
    );

    it(
      "forgets a clean session: a subscriber that was away misses what was published",
      { timeout: 30_000 },
      async () => {
        const topic = `${unique()}/news`;
        const clientId = `reader-${unique()}`;
        const received: unknown[] = [];
        const app = target.broker();
        app.subscriber(topic, { qos: 1, clientId }).handle((body) => void received.push(body));
        const publisher = await testBroker(target.broker(), { real: target.real });
        const first = await testBroker(app, { real: target.real });
        await first.close();
        await publisher.publish("missed", topic);
        await using _again = await testBroker(app, { real: target.real });
        await publisher.publish("seen", topic);
        await until(() => received.length === 1, "the message after the restart");
        await pause(target);
        assert.deepEqual(received, ["seen"]);
        await publisher.close();
      },
    );

    it(
      "redelivers to a persistent session a message that was never acknowledged",
      { timeout: 30_000 },
      async () => {
        const topic = `${unique()}/jobs`;
        const clientId = `worker-${unique()}`;
        const seen: { body: unknown; redelivered: boolean }[] = [];
        const app = target.broker({ drainTimeout: 50 });
        app.subscriber(topic, { qos: 1, clientId, clean: false, sessionExpiry: 60, ack: "manual" })
          .handle(async (body, ctx) => {
            seen.push({ body, redelivered: ctx.message.redelivered });
            if (seen.length > 1) await ctx.message.ack(); // the first delivery "crashes": never settled
          });
        await using publisher = await testBroker(target.broker(), { real: target.real });
        const first = await testBroker(app, { real: target.real });
        await publisher.publish("job-1", topic, { qos: 1 });
        await until(() => seen.length === 1, "the first delivery");
        await first.close();
        await using _again = await testBroker(app, { real: target.real });
        await until(() => seen.length === 2, "the redelivery");
        assert.deepEqual(seen, [{ body: "job-1", redelivered: false }, { body: "job-1", redelivered: true }]);
      },
    );

    it(
      "acknowledges every message handled before a close, so the next session gets none of them again",
      { timeout: 30_000 },
      async () => {
        const topic = `${unique()}/burst`;
        const clientId = `burst-${unique()}`;
        const received: number[] = [];
        let last!: () => void;
        const handledAll = new Promise<void>((resolve) => (last = resolve));
        const app = target.broker();
        app.subscriber(topic, { qos: 1, clientId, clean: false, sessionExpiry: 60, prefetch: 64 })
          .handle((body) => {
            received.push((body as { n: number }).n);
            if (received.length === 300) last();
          });
        await using publisher = await testBroker(target.broker(), { real: target.real });
        const first = await testBroker(app, { real: target.real });
        await Promise.all(Array.from({ length: 300 }, (_, n) => publisher.publish({ n }, topic, { qos: 1 })));
        await handledAll;
        await first.close(); // at once: the last acknowledgements are still on their way out
        await using _again = await testBroker(app, { real: target.real });
        await publisher.publish({ n: 300 }, topic, { qos: 1 });
        await until(() => received.includes(300), "the message after the reconnection");
        await pause(target);
        assert.equal(received.length, 301, "no message handled before the close came back");
      },
    );

    it("refuses clean: false without a client id", async () => {
      const app = target.broker();
      app.subscriber(`${unique()}/x`, { clean: false }).handle(() => {});
      await assert.rejects(testBroker(app, { real: target.real }), OptionError);
      await app.close();
    });
  });
}
