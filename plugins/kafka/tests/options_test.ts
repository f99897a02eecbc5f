import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { Broker, ConnectionError, createLogger, OptionError } from "@sluice/core";
import { captureLogs } from "@sluice/core/testing";
import { kafka, kafkaEmulation, plugin } from "../mod.ts";
import { optionsFromUrl } from "../options.ts";
import { patience, targets, unique, until } from "./_helpers.ts";

describe("kafka options", () => {
  it("rejects a bad broker option at once, naming it", () => {
    assert.throws(
      () => kafka({ acks: 2 as never }),
      (e: unknown) => e instanceof OptionError && /acks/.test(e.message),
    );
    assert.throws(
      () => kafka({ sasl: { mechanism: "md5" as never, username: "u", password: "secret" } }),
      (e: unknown) => e instanceof OptionError && /mechanism/.test(e.message) && !/secret/.test(e.message),
    );
    assert.throws(() => kafka({ compression: "zstd" as never }), OptionError);
    assert.throws(() => kafka({ brokers: ["not a host"] }), OptionError);
    assert.throws(
      () => kafka({ commitInterval: -1 }),
      (e: unknown) => e instanceof OptionError && /commitInterval/.test(e.message),
    );
  });

  it("rejects a bad subscriber or publish option when used", async () => {
    const broker = new Broker(kafkaEmulation());
    broker.subscriber("orders", { from: "middle" } as never).handle(() => {});
    await assert.rejects(broker.start(), (e: unknown) => e instanceof OptionError && /from/.test(e.message));
  });

  it("refuses an unknown option with the likely one it meant, for the broker, a subscriber and a publish", async () => {
    assert.throws(
      () => kafka({ brokerz: ["localhost:9092"] } as never),
      (e: unknown) =>
        e instanceof OptionError && /unknown option "brokerz": did you mean "brokers"\?/.test(e.message),
    );
    const broker = new Broker(kafkaEmulation(), { logger: createLogger({ level: "error" }) });
    broker.subscriber("orders", { form: "earliest" } as never).handle(() => {});
    await assert.rejects(
      broker.start(),
      (e: unknown) =>
        e instanceof OptionError && /unknown option "form": did you mean "from"\?/.test(e.message),
    );
    await assert.rejects(
      broker.publish(1, "orders", { partiton: 0 } as never),
      (e: unknown) =>
        e instanceof OptionError && /unknown option "partiton": did you mean "partition"\?/.test(e.message),
    );
    await broker.close();
  });

  it("reads brokers, SASL and TLS from a kafka:// URL and never shows the password", async () => {
    const options = optionsFromUrl("kafka://app:s3cr%40t@k1:9093,k2?sasl=scram-sha-512&ssl=1");
    assert.deepEqual(options.brokers, ["k1:9093", "k2:9092"]);
    assert.deepEqual(options.sasl, { mechanism: "scram-sha-512", username: "app", password: "s3cr@t" });
    assert.equal(options.ssl, true);
    const broker = await plugin.create(new URL("kafka://app:s3cr3t@localhost:1"), {});
    assert.equal(broker.driver.url, "kafka://localhost:1");
  });

  it("takes a host list through connect()'s registry, as given", async () => {
    const { registry } = await import("@sluice/core");
    const loaded = await registry.load("kafka");
    const broker = await loaded.create(new URL("kafka://k1:9093"), {}, "kafka://k1:9093,k2:9094");
    assert.equal(broker.driver.url, "kafka://k1:9093,k2:9094");
  });

  it("names the URL without credentials when it cannot connect", async () => {
    const logs = captureLogs();
    const broker = kafka({
      brokers: ["127.0.0.1:1"],
      sasl: { mechanism: "plain", username: "app", password: "s3cr3t" },
      connectionTimeout: 200,
      retries: 0,
      logger: createLogger({ level: "debug", sink: logs.sink }),
    });
    await assert.rejects(broker.connect(), (e: unknown) => {
      assert.ok(e instanceof ConnectionError);
      assert.match(e.message, /kafka:\/\/127\.0\.0\.1:1/);
      assert.doesNotMatch(e.message, /s3cr3t/);
      return true;
    });
    assert.ok(logs.records.every((r) => !JSON.stringify(r).includes("s3cr3t")));
  });

  for (const target of targets) {
    it(`joins topics created after a pattern subscriber started (${target.name})`, async () => {
      const make = target.cluster();
      const broker = make();
      const prefix = unique("pat");
      const levels: string[] = [];
      broker.subscriber(`${prefix}.logs.{level}`, { from: "earliest" }).handle((_b, ctx) => {
        levels.push((ctx.path as Record<string, string>).level!);
      });
      await broker.start();
      try {
        await broker.publish("x", `${prefix}.logs.warn`);
        await broker.publish("y", `${prefix}.other.warn`);
        await until(() => levels.length === 1, patience(target), "the first topic's record");
        await broker.publish("z", `${prefix}.logs.fatal`);
        await until(() => levels.length === 2, patience(target), "the second topic's record");
        assert.deepEqual(levels, ["warn", "fatal"]);
      } finally {
        await broker.close();
      }
    });
  }
});
