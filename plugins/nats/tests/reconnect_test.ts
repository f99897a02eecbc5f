// Connection loss against a real nats-server of this test's own (tests/_support/private: a free loopback port,
// a temporary store): the server is stopped and started again while a core and a JetStream subscriber run;
// both resume, and the outage is logged. Skipped (loudly) when there is no nats-server binary or no real NATS
// configured.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { createLogger } from "@sluice/core";
import { captureLogs, testBroker } from "@sluice/core/testing";
import { type PrivateBroker, privateBroker, privateSkip } from "../../../tests/_support/private/mod.ts";
import { nats } from "../mod.ts";
import { unique, until } from "./_support.ts";

describe(
  "nats reconnect (real, a private server)",
  { skip: privateSkip("nats", "private nats-server") },
  () => {
    let server: PrivateBroker | undefined;
    before(async () => {
      server = await privateBroker("nats");
    });
    after(() => server?.dispose());

    it("resumes core and JetStream subscriptions after the server restarts, and logs the outage", async () => {
      const logs = captureLogs();
      const base = unique("rc");
      const broker = nats({
        servers: server!.url,
        reconnectTimeWait: 200,
        logger: createLogger({ level: "debug", sink: logs.sink }),
      });
      const core: unknown[] = [];
      const durable: unknown[] = [];
      broker.subscriber(`${base}.core`).handle((body) => void core.push(body));
      broker.subscriber(`${base}.js`, {
        stream: { name: base, subjects: [`${base}.js`] },
        consumer: { durable: "keep" },
      })
        .handle((body) => void durable.push(body));
      await using br = await testBroker(broker, { real: true });
      await br.publish("before", `${base}.core`);
      await br.publish("before", `${base}.js`);
      await until(() => core.length === 1 && durable.length === 1, 5000, "the first messages");

      await server!.stop();
      await until(() => logs.find("warn", "Lost the connection").length > 0, 5000, "the outage in the log");
      await server!.start();
      await until(() => logs.find("info", "Reconnected").length > 0, 10_000, "the reconnect in the log");

      await br.publish("after", `${base}.core`);
      await br.publish("after", `${base}.js`);
      await until(() => core.length === 2 && durable.length === 2, 15_000, "the messages after the restart");
      assert.deepEqual(core, ["before", "after"]);
      assert.deepEqual(durable, ["before", "after"]);
    });
  },
);
