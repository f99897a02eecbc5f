import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { App, createLogger, dependency, memory } from "@sluice/core";
import { testApp } from "@sluice/core/testing";

describe("testApp", () => {
  it("runs the app's hooks in order around its brokers on their emulation, and mocks record", async () => {
    const order: string[] = [];
    const broker = memory({ logLevel: "error" });
    const welcomed = broker.publisher("welcomed");
    const created = broker.subscriber("users.created").publisher(welcomed).handle((name: unknown) =>
      `hi ${String(name)}`
    );
    const app = new App(broker)
      .onStartup(() => void order.push(`onStartup connected=${broker.connected}`))
      .afterStartup(async () => {
        order.push(`afterStartup connected=${broker.connected}`);
        await broker.publish("Ada", "users.created");
      })
      .onShutdown(() => void order.push("onShutdown"))
      .afterShutdown(() => void order.push(`afterShutdown connected=${broker.connected}`));
    const own = broker.driver;
    {
      await using test = await testApp(app);
      assert.equal(test.app.running, true);
      assert.notEqual(broker.driver, own, "the emulation is in place while the test runs");
      await test.settled();
      assert.deepEqual(created.mock.calls.map((c) => c.body), ["Ada"]);
      assert.deepEqual(welcomed.mock.calls.map((c) => c.body), ["hi Ada"]);
    }
    assert.deepEqual(order, [
      "onStartup connected=false",
      "afterStartup connected=true",
      "onShutdown",
      "afterShutdown connected=false",
    ]);
    assert.equal(app.running, false);
    assert.equal(broker.driver, own, "the broker's own driver is back");
  });

  it("publishes through the first broker and settles every broker of the app", async () => {
    const a = memory({ logLevel: "error" });
    const b = memory({ logLevel: "error" });
    const relayed = b.subscriber("relay").handle(() => {});
    a.subscriber("in").handle((body) => b.publish(body, "relay"));
    await using test = await testApp(new App([a, b]));
    await test.publish("hop", "in");
    await test.settled();
    assert.deepEqual(relayed.mock.calls.map((c) => c.body), ["hop"]);
  });

  it("restores the brokers when a startup hook fails, and reports the hook's error", async () => {
    const broker = memory({ logLevel: "error" });
    broker.subscriber("x").handle(() => {});
    const app = new App(broker).onStartup(() => {
      throw new Error("config missing");
    });
    await assert.rejects(testApp(app), /config missing/);
    assert.equal(broker.connected, false);
    // Nothing is left in place: a test broker can be put on it again.
    app.brokers[0]!.substitute({ observer: { record: () => {} } })();
  });

  it("makes the app's startup dependencies and closes them when the test ends", async () => {
    const Counter = dependency<{ n: number }>("counter");
    const closed: number[] = [];
    const broker = memory({ logger: createLogger({ sink: () => {} }) });
    broker.subscriber("tick", { needs: { counter: Counter } }).handle((_b, ctx) => void ctx.deps.counter.n++);
    const app = new App(broker).provide(Counter, {
      startup: () => ({ n: 0 }),
      shutdown: (c) => void closed.push(c.n),
    });
    {
      await using test = await testApp(app);
      await test.publish(1, "tick");
      await test.publish(2, "tick");
      await test.settled();
    }
    assert.deepEqual(closed, [2]);
  });
});
