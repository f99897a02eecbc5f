import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { Broker, connect, memory, type Plugin, Registry, UnknownSchemeError } from "@sluice/core";
import { redactUrl } from "@sluice/core/kit";

describe("registry", () => {
  it("connects memory:// without loading any plugin package", async () => {
    const broker = await connect("memory://", { logLevel: "error" });
    assert.equal(broker.connected, true);
    assert.equal(broker.driver.name, "memory");
    await broker.close();
  });

  it("names the known schemes and how to register one for an unknown scheme", async () => {
    await assert.rejects(connect("foo://host"), (error: unknown) => {
      assert.ok(error instanceof UnknownSchemeError);
      assert.match(error.message, /No plugin for "foo:" URLs\. Known: memory:, kafka:/);
      assert.match(error.message, /registry\.register\("foo"/);
      return true;
    });
    await assert.rejects(connect("not a url"), /is not a URL: write it like kafka:\/\/localhost:9092/);
  });

  it("says which package to install when a plugin cannot be loaded", async () => {
    const registry = new Registry();
    registry.register("gone", () => import("@sluice/does-not-exist" as string));
    await assert.rejects(
      registry.connect("gone://x"),
      /The plugin for "gone:" could not be loaded: .*does-not-exist.*Is its package installed\?/,
    );
  });

  it("lets third parties register a scheme, loaded only when used", async () => {
    const registry = new Registry();
    let loaded = 0;
    const plugin: Plugin = {
      schemes: ["test"],
      create: (url, options) => {
        assert.equal(url.hostname, "somewhere");
        return memory(options);
      },
    };
    registry.register("test", () => {
      loaded++;
      return { plugin };
    });
    assert.equal(loaded, 0);
    const broker = await registry.connect("test://somewhere", { logLevel: "error" });
    assert.ok(broker instanceof Broker);
    assert.equal(loaded, 1);
    await broker.close();
  });

  it("hands a plugin the URL as given when it lists several hosts", async () => {
    const registry = new Registry();
    const seen: string[] = [];
    registry.register("multi", () => ({
      schemes: ["multi"],
      create: (url, options, source) => {
        seen.push(url.host, source ?? "");
        return memory(options);
      },
    }));
    const broker = await registry.connect("multi://h1:9092,h2:9093/x?y=1", { logLevel: "error" });
    await broker.close();
    assert.deepEqual(seen, ["h1:9092", "multi://h1:9092,h2:9093/x?y=1"]);
  });

  it("never shows a password in a URL it reports", () => {
    assert.equal(redactUrl("amqp://user:secret@host:5672/vh"), "amqp://user:***@host:5672/vh");
    assert.doesNotMatch(redactUrl("::not a url user:secret@host"), /secret/);
  });
});
