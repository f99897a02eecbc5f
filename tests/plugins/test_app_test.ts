// testApp on a plugin's broker: the app's hooks run against the NATS emulation, and with `real` against
// the real server.
import { after, describe, it } from "node:test";
import assert from "node:assert/strict";
import { App, createLogger } from "@sluice/core";
import { testApp } from "@sluice/core/testing";
import { nats } from "@sluice/nats";
import { realBroker } from "../_support/brokers.ts";

const server = await realBroker("nats");
after(() => server?.stop());

const runs: [string, string | undefined][] = [["emulation", undefined]];
if (server) runs.push(["real", server.url]);

for (const [where, url] of runs) {
  describe(`testApp on nats (${where})`, () => {
    it("runs the after-startup hook's publish through the app's subscribers and the shutdown hooks", async () => {
      const subject = `app.${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;
      const broker = nats({ logger: createLogger({ level: "error" }), ...(url ? { servers: url } : {}) });
      const greeted = broker.subscriber(subject).handle((name: unknown) => `hello, ${String(name)}`);
      const events: string[] = [];
      const app = new App(broker)
        .afterStartup(async () => {
          const reply = await broker.request("Ada", subject, { timeout: 5000 });
          events.push(String(reply.body));
        })
        .onShutdown(() => void events.push("shutdown"));
      {
        await using test = await testApp(app, { real: url !== undefined });
        await test.settled();
        assert.deepEqual(greeted.mock.calls.map((c) => c.body), ["Ada"]);
      }
      assert.deepEqual(events, ["hello, Ada", "shutdown"]);
      assert.equal(broker.connected, false);
    });
  });
}
