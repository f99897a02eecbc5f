// Options, connection errors, the URL registry, the will, and reconnection with resubscription after a
// broker restart (a private Mosquitto of this test's own, tests/_support/private, on a free port).
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { connect, ConnectionError, OptionError, silentLogger } from "@sluice/core";
import { testBroker } from "@sluice/core/testing";
import { type PrivateBroker, privateBroker, privateSkip } from "../../../tests/_support/private/mod.ts";
import process from "node:process";
import { mqtt } from "../mod.ts";
import { clientOptions, mqttLog } from "../_client.ts";
import { resolveOptions } from "../options.ts";
import { capture, realUrl, targets, unique, until } from "./_targets.ts";

describe("options", () => {
  it("gives MQTT.js a log that does nothing, and leaves it its own when DEBUG is set", () => {
    const before = process.env.DEBUG;
    try {
      delete process.env.DEBUG;
      const spec = { clientId: "c", clean: true, label: "test" };
      const quiet = clientOptions(resolveOptions({}), spec).log;
      assert.equal(typeof quiet, "function");
      assert.equal(quiet, mqttLog());
      assert.equal(quiet!("publish :: message `%s` to topic `%s`", "x", "a/b"), undefined);
      process.env.DEBUG = "mqttjs*";
      assert.equal(clientOptions(resolveOptions({}), spec).log, undefined);
    } finally {
      if (before === undefined) delete process.env.DEBUG;
      else process.env.DEBUG = before;
    }
  });

  it("rejects a bad option at once, naming it", () => {
    assert.throws(
      () => mqtt({ qos: 3 as 0 }),
      (e: unknown) => e instanceof OptionError && /qos/.test(e.message),
    );
    assert.throws(() => mqtt({ protocol: "4" as "5" }), /protocol/);
    assert.throws(() => mqtt({ url: "http://localhost" }), /scheme must be mqtt: or mqtts:/);
    assert.throws(() => mqtt({ will: { topic: "", payload: "x" } }), /will\.topic/);
  });

  it("rejects bad subscriber options, filters and publish topics", async () => {
    const app = mqtt({ logger: silentLogger });
    app.subscriber("a/#/b").handle(() => {});
    await assert.rejects(testBroker(app), /# must be a whole level and the last one/);
    await app.close();
    const app2 = mqtt({ logger: silentLogger });
    app2.subscriber("a/b", { qos: 5 as 0 }).handle(() => {});
    await assert.rejects(testBroker(app2), (e: unknown) => e instanceof OptionError && /qos/.test(e.message));
    await app2.close();
    await using br = await testBroker(mqtt({ logger: silentLogger }));
    await assert.rejects(br.publish(1, "a/+/b"), /cannot contain the wildcards/);
    await assert.rejects(br.publish(1, "a", { retain: "yes" } as never), /retain/);
  });

  it("refuses an unknown option with the likely one it meant, for the broker, a subscriber and a publish", async () => {
    assert.throws(
      () => mqtt({ keepAlive: 10 } as never),
      (e: unknown) =>
        e instanceof OptionError && /unknown option "keepAlive": did you mean "keepalive"\?/.test(e.message),
    );
    const app = mqtt({ logger: silentLogger });
    app.subscriber("a/b", { retainHandeling: 2 } as never).handle(() => {});
    await assert.rejects(
      testBroker(app),
      (e: unknown) =>
        e instanceof OptionError &&
        /unknown option "retainHandeling": did you mean "retainHandling"\?/.test(e.message),
    );
    await app.close();
    await using br = await testBroker(mqtt({ logger: silentLogger }));
    await assert.rejects(
      br.publish(1, "a", { retian: true } as never),
      (e: unknown) =>
        e instanceof OptionError && /unknown option "retian": did you mean "retain"\?/.test(e.message),
    );
  });

  it("keeps credentials out of the URL it shows, and out of connection errors", async () => {
    const app = mqtt({ url: "mqtts://ada:s3cret@127.0.0.1:1", connectTimeout: 1000, reconnectPeriod: 100 });
    assert.equal(app.driver.url, "mqtts://127.0.0.1:1");
    await assert.rejects(app.connect(), (e: unknown) => {
      assert.ok(e instanceof ConnectionError);
      assert.match(e.message, /Cannot connect to mqtts:\/\/127\.0\.0\.1:1: .*Is the broker running\?/);
      assert.doesNotMatch(e.message, /s3cret|ada/);
      return true;
    });
  });
});

for (const target of targets()) {
  describe(`will and registry (${target.name})`, () => {
    it("publishes the will when the connection is lost without a goodbye", { timeout: 30_000 }, async () => {
      const topic = `${unique()}/presence`;
      const watcher = target.broker();
      const wills = watcher.subscriber(topic).handle(() => {});
      await using w = await testBroker(watcher, { real: target.real });
      const clientId = `app-${unique()}`;
      const app = target.broker({
        will: { topic, payload: "offline", qos: 1 },
        reconnectPeriod: 200,
        clientId,
      });
      await using _a = await testBroker(app, { real: target.real });
      if (target.real) (app.driver.client as unknown as { stream: { destroy(): void } }).stream.destroy();
      else assert.ok(target.emulator!.loseConnection(clientId), "the app is connected to the emulator");
      await until(() => wills.mock.calls.length === 1, "the will");
      assert.equal(wills.mock.calls[0]!.body, "offline");
      void w;
    });
  });
}

describe("connect(url)", { skip: realUrl ? false : "no real mqtt" }, () => {
  it("loads the plugin for mqtt:// URLs", { timeout: 30_000 }, async () => {
    const broker = await connect(realUrl!, { logger: silentLogger });
    try {
      assert.equal(broker.driver.name, "mqtt");
      await broker.ping();
    } finally {
      await broker.close();
    }
  });
});

describe("reconnection (a private Mosquitto)", { skip: privateSkip("mqtt", "private Mosquitto") }, () => {
  let server: PrivateBroker | undefined;
  before(async () => {
    server = await privateBroker("mqtt");
  });
  after(() => server?.dispose());

  it(
    "reconnects after a broker restart, renews subscriptions and logs the outage",
    { timeout: 60_000 },
    async () => {
      const { logs, logger } = capture();
      const topic = `${unique()}/beat`;
      const app = mqtt({ url: server!.url, reconnectPeriod: 200, logger });
      const beats: unknown[] = [];
      app.subscriber(topic).handle((n) => void beats.push(n));
      await using br = await testBroker(app, { real: true });
      await br.publish(1, topic);
      await until(() => beats.length === 1, "the first beat");

      await server!.stop();
      await until(() => logs.find("warn", "Lost the connection").length >= 2, "the outage logged");
      await server!.start();
      await until(() => logs.find("info", "Reconnected").length >= 2, "both connections back", 15_000);
      for (let n = 2; !beats.includes(n - 1) || beats.length < 2; n++) {
        if (n > 40) throw new Error("the subscription did not come back");
        await br.publish(n, topic);
        await new Promise((r) => setTimeout(r, 250));
      }
      assert.ok(beats.length >= 2);
      assert.match(logs.find("info", "Reconnected")[0]!.message, /after \d+ ms/);
    },
  );
});
