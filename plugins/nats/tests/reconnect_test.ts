// Connection loss against a real nats-server of this test's own (loopback port 4223, a temporary store):
// the server is stopped and started again while a core and a JetStream subscriber run; both resume, and
// the outage is logged. Skipped (loudly) when there is no nats-server binary or no real NATS configured.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createLogger } from "@sluice/core";
import { captureLogs, testBroker } from "@sluice/core/testing";
import { realBroker } from "../../../tests/_support/brokers.ts";
import { nats } from "../mod.ts";
import { unique, until } from "./_support.ts";

const PORT = 4223;
const server = await realBroker("nats");
const binary = spawnSync("nats-server", ["--version"]).status === 0;
if (server && !binary) console.warn("SKIP: nats reconnect test: no nats-server binary on the PATH");

describe(
  "nats reconnect (real, own server on 4223)",
  { skip: server && binary ? false : "no nats-server" },
  () => {
    const store = mkdtempSync(join(tmpdir(), "sluice-nats-"));
    let child: ChildProcess | undefined;

    const start = async (): Promise<void> => {
      child = spawn("nats-server", ["-a", "127.0.0.1", "-p", String(PORT), "-js", "-sd", store], {
        stdio: "ignore",
      });
      const net = await import("node:net");
      const end = Date.now() + 10_000;
      for (;;) {
        const open = await new Promise<boolean>((resolve) => {
          const socket = net.connect(PORT, "127.0.0.1", () => (socket.destroy(), resolve(true)));
          socket.on("error", () => resolve(false));
        });
        if (open) return;
        if (Date.now() > end) throw new Error(`nats-server did not listen on ${PORT}`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    };
    const stop = async (): Promise<void> => {
      const running = child;
      child = undefined;
      if (!running || running.exitCode !== null) return;
      const exited = new Promise((resolve) => running.once("exit", resolve));
      running.kill("SIGTERM");
      await exited;
    };

    before(start);
    after(async () => {
      await stop();
      rmSync(store, { recursive: true, force: true });
      await server?.stop();
    });

    it("resumes core and JetStream subscriptions after the server restarts, and logs the outage", async () => {
      const logs = captureLogs();
      const base = unique("rc");
      const broker = nats({
        servers: `nats://127.0.0.1:${PORT}`,
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

      await stop();
      await until(() => logs.find("warn", "Lost the connection").length > 0, 5000, "the outage in the log");
      await start();
      await until(() => logs.find("info", "Reconnected").length > 0, 10_000, "the reconnect in the log");

      await br.publish("after", `${base}.core`);
      await br.publish("after", `${base}.js`);
      await until(() => core.length === 2 && durable.length === 2, 15_000, "the messages after the restart");
      assert.deepEqual(core, ["before", "after"]);
      assert.deepEqual(durable, ["before", "after"]);
    });
  },
);
