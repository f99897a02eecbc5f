import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { App, createLogger, type Driver, memory } from "@sluice/core";
import { captureLogs } from "@sluice/core/testing";

describe("app", () => {
  it("runs hooks in lifecycle order around the brokers", async () => {
    const order: string[] = [];
    const broker = memory({ logLevel: "error" });
    broker.subscriber("x").handle(() => {});
    const app = new App(broker)
      .onStartup(() => void order.push(`onStartup connected=${broker.connected}`))
      .afterStartup(() => void order.push(`afterStartup connected=${broker.connected}`))
      .onShutdown(() => void order.push(`onShutdown connected=${broker.connected}`))
      .afterShutdown(() => void order.push(`afterShutdown connected=${broker.connected}`));
    await app.start();
    await app.stop();
    assert.deepEqual(order, [
      "onStartup connected=false",
      "afterStartup connected=true",
      "onShutdown connected=true",
      "afterShutdown connected=false",
    ]);
  });

  it("runs several brokers and stops them all", async () => {
    const a = memory({ logLevel: "error" });
    const b = memory({ logLevel: "error" });
    const got: unknown[] = [];
    b.subscriber("relay").handle((body) => void got.push(body));
    a.subscriber("in").handle((body) => b.publish(body, "relay"));
    const app = new App([a, b]);
    await app.start();
    await a.publish("hop", "in");
    await new Promise((r) => setTimeout(r, 20));
    await app.stop();
    assert.deepEqual(got, ["hop"]);
    assert.equal(a.connected || b.connected, false);
  });

  it("lets in-flight handlers finish on stop, and stops consuming first", async () => {
    const broker = memory({ logLevel: "error" });
    const finished: number[] = [];
    broker.subscriber("slow", { concurrency: 5 }).handle(async (n: unknown) => {
      await new Promise((r) => setTimeout(r, 30));
      finished.push(n as number);
    });
    const app = new App(broker);
    await app.start();
    for (let i = 0; i < 5; i++) await broker.publish(i, "slow");
    await new Promise((r) => setTimeout(r, 5));
    await app.stop();
    assert.deepEqual(finished.sort(), [0, 1, 2, 3, 4]);
  });

  it("closes the brokers it started when another fails to start", async () => {
    const good = memory({ logLevel: "error" });
    const failing: Driver = {
      ...memory().driver,
      url: "memory://down",
      connect: () => Promise.reject(new Error("connection refused")),
    };
    const { Broker } = await import("@sluice/core");
    const bad = new Broker(failing, { logLevel: "error" });
    const app = new App([good, bad]);
    await assert.rejects(
      app.start(),
      /Cannot connect to memory:\/\/down: Error: connection refused\. Is the broker running\?/,
    );
    assert.equal(good.connected, false);
    assert.equal(app.running, false);
  });

  it("stops when the run signal aborts", async () => {
    const broker = memory({ logLevel: "error" });
    const app = new App(broker);
    const controller = new AbortController();
    const running = app.run(controller.signal);
    await new Promise((r) => setTimeout(r, 10));
    assert.equal(broker.connected, true);
    controller.abort();
    await running;
    assert.equal(broker.connected, false);
  });

  it("logs its own start and stop once without a broker field, and each broker's connect", async () => {
    const logs = captureLogs();
    // Loggers shaped like a broker's default one, or the CLI's: each line carries its broker's name.
    const logger = (broker: string) => createLogger({ sink: logs.sink, fields: { broker } });
    const orders = memory({ name: "orders", logger: logger("orders") });
    const audit = memory({ name: "audit", logger: logger("audit") });
    const app = new App([orders, audit]);
    await app.start();
    await app.stop();
    const lines = logs.records.map((r) =>
      r.fields.broker === undefined ? r.message : `${r.message} broker=${r.fields.broker}`
    );
    assert.deepEqual(lines, [
      "Connected to memory:// broker=orders",
      "Connected to memory:// broker=audit",
      "App started",
      "Closed memory:// broker=orders",
      "Closed memory:// broker=audit",
      "App stopped",
    ]);
  });

  it("names the broker on its connect and close lines, with a logger that does not", async () => {
    const logs = captureLogs();
    const logger = createLogger({ sink: logs.sink });
    const app = new App([memory({ name: "orders", logger }), memory({ name: "audit", logger })]);
    await app.start();
    await app.stop();
    const named = (text: string) => logs.find("info", text).map((r) => r.fields.broker);
    assert.deepEqual(named("Connected to memory://"), ["orders", "audit"]);
    assert.deepEqual(named("Closed memory://"), ["orders", "audit"]);
  });
});
