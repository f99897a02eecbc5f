// Options are checked when the broker is created; unknown ones get a "did you mean"; the core's broker
// options are accepted and applied; URLs carry servers and credentials; connection failures name the URL
// without its password.
import { after, describe, it } from "node:test";
import assert from "node:assert/strict";
import { ConnectionError, createLogger, OptionError } from "@sluice/core";
import { captureLogs, testBroker } from "@sluice/core/testing";
import { realBroker } from "../../../tests/_support/brokers.ts";
import { nats, plugin } from "../mod.ts";
import { optionsFromUrl } from "../options.ts";
import { targets, unique, until } from "./_support.ts";

const server = await realBroker("nats");
after(() => server?.stop());

describe("nats options", () => {
  it("rejects a bad broker option at once, naming it", () => {
    assert.throws(
      () => nats({ servers: 42 as unknown as string }),
      (e: unknown) => e instanceof OptionError && /servers/.test(e.message),
    );
    assert.throws(() => nats({ tls: { caFile: 1 as unknown as string } }), /caFile/);
    assert.throws(() => nats({ user: "ada" }), /"user" and "pass" go together/);
    assert.throws(() => nats({ token: "t", user: "u", pass: "p" }), /one way to authenticate/);
    assert.throws(() => nats({ nkeySeed: "nope" }), /nkeySeed/);
    assert.throws(() => nats({ streams: [{ name: "bad.name" }] }), /name/);
  });

  it("rejects an unknown option with a hint at the one meant", async () => {
    assert.throws(
      () => nats({ serverz: "nats://127.0.0.1:4222" } as never),
      (e: unknown) =>
        e instanceof OptionError &&
        /Invalid NATS broker option: unknown option "serverz": did you mean "servers"\?/.test(e.message),
    );
    const broker = nats();
    broker.subscriber("a", { consumr: { mode: "pull" } } as never).handle(() => {});
    await assert.rejects(
      testBroker(broker),
      /Invalid NATS subscriber option of a: unknown option "consumr": did you mean "consumer"\?/,
    );
    const publisher = nats();
    await using br = await testBroker(publisher);
    await assert.rejects(
      br.publish("x", "c", { msgID: "order-1" } as never),
      /Invalid NATS publish option of c: unknown option "msgID": did you mean "msgId"\?/,
    );
  });

  it("rejects bad subscriber and publish options when used", async () => {
    const broker = nats();
    broker.subscriber("a", { consumer: { mode: "poll" as "pull" } }).handle(() => {});
    await assert.rejects(testBroker(broker), /consumer\.mode/);
    const other = nats();
    other.subscriber("b", { kv: "bucket", stream: true }).handle(() => {});
    await assert.rejects(testBroker(other), /cannot be combined/);
    const publisher = nats();
    await using br = await testBroker(publisher);
    await assert.rejects(br.publish("x", "c", { msgId: "" }), /msgId/);
  });

  it("reads servers, user and password or a token from a URL", () => {
    assert.deepEqual(optionsFromUrl(new URL("nats://ada:s3cret@127.0.0.1:4222")), {
      servers: ["nats://127.0.0.1:4222"],
      user: "ada",
      pass: "s3cret",
    });
    assert.deepEqual(optionsFromUrl(new URL("nats://tok@host:4222?tls=true")), {
      servers: ["nats://host:4222"],
      token: "tok",
      tls: true,
    });
    assert.deepEqual(plugin.schemes, ["nats"]);
  });

  it("fails to connect with the URL, without the password, and the likely cause", async () => {
    const broker = nats({
      servers: "nats://ada:s3cret@127.0.0.1:4299",
      connectTimeout: 1000,
      logLevel: "error",
    });
    await assert.rejects(broker.connect(), (error: unknown) => {
      assert.ok(error instanceof ConnectionError);
      assert.match(error.message, /127\.0\.0\.1:4299/);
      assert.match(error.message, /nats-server running/);
      assert.doesNotMatch(error.message, /s3cret/);
      return true;
    });
  });
});

for (const target of targets(server?.url)) {
  describe(`nats core broker options (${target.name})`, () => {
    it("accepts the core's maxBodySize and rejects a bigger message with a logged error", async () => {
      const logs = captureLogs();
      const broker = nats({
        servers: target.servers,
        maxBodySize: 1024,
        logger: createLogger({ level: "debug", sink: logs.sink }),
      });
      const subject = `${unique()}.sized`;
      const bodies: unknown[] = [];
      broker.subscriber(subject).handle((body) => void bodies.push(body));
      await using br = await testBroker(broker, { real: target.real });
      await br.publish("x".repeat(2000), subject, { messageId: "m-big" });
      await br.publish("small", subject);
      await until(() => bodies.length === 1, 5000, "the small message");
      await until(() => logs.find("error", "m-big").length === 1, 5000, "the logged rejection");
      assert.match(logs.find("error", "m-big")[0]!.message, /maxBodySize 1024/);
      assert.deepEqual(bodies, ["small"]);
    });
  });
}
