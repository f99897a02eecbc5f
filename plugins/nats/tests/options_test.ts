// Options are checked when the broker is created; URLs carry servers and credentials; connection failures
// name the URL without its password.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { ConnectionError, OptionError } from "@sluice/core";
import { testBroker } from "@sluice/core/testing";
import { nats, plugin } from "../mod.ts";
import { optionsFromUrl } from "../options.ts";

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
    assert.throws(() => nats({ serverz: "x" } as never), /Unknown NATS broker option\(s\) "serverz"/);
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
