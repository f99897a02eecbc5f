import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { memory, registry } from "@sluice/core";
import { main, parseBody, parseTarget } from "../mod.ts";

const fixture = fileURLToPath(new URL("./fixture_app.ts", import.meta.url));

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  return {
    out,
    err,
    options: { print: (l: string) => void out.push(l), printError: (l: string) => void err.push(l) },
  };
}

describe("sluice CLI", () => {
  it("prints help and exits 0 with --help, 2 without a command", async () => {
    const io = capture();
    assert.equal(await main(["--help"], io.options), 0);
    assert.match(io.out[0]!, /sluice run <file\.ts>\[:export\]/);
    assert.equal(await main([], io.options), 2);
  });

  it("exits 2 with a clear message for an unknown command or option", async () => {
    const io = capture();
    assert.equal(await main(["deploy"], io.options), 2);
    assert.match(io.err[0]!, /Unknown command "deploy"/);
    assert.equal(await main(["run", "x.ts", "--bogus"], io.options), 2);
    assert.equal(await main(["run", "x.ts", "--log-level", "loud"], io.options), 2);
    assert.match(io.err.join("\n"), /--log-level must be one of debug, info, warn, error/);
  });

  it("runs an app until its signal aborts, with its lifecycle hooks", async () => {
    const { started } = await import("./fixture_app.ts");
    const controller = new AbortController();
    const running = main(["run", `${fixture}:app`], { signal: controller.signal });
    while (!started.includes("started")) await new Promise((r) => setTimeout(r, 5));
    controller.abort();
    assert.equal(await running, 0);
    assert.deepEqual(started.slice(-2), ["started", "stopped"]);
  });

  it("names the exports it found when the requested one is missing", async () => {
    const io = capture();
    assert.equal(await main(["run", `${fixture}:nope`], io.options), 2);
    assert.match(io.err[0]!, /has no App or Broker export named "nope"; it exports app, broker/);
    assert.equal(await main(["run", "missing-file.ts"], io.options), 2);
    assert.match(io.err.join("\n"), /Cannot load missing-file\.ts/);
  });

  it("publishes to a broker by URL, and fails with exit 1 when an --rpc gets no reply", async () => {
    const io = capture();
    const broker = memory({ logLevel: "warn" });
    const orders: unknown[] = [];
    broker.subscriber("orders").handle((body) => void orders.push(body));
    broker.subscriber("prices").handle((item) => `${item}: 3.50`);
    // A scheme of this test's own, so that the CLI's broker is one this test can look into.
    registry.register("cli-test", () => ({
      schemes: ["cli-test"],
      create: async () => (await broker.start(), broker),
    }));
    assert.equal(await main(["publish", "cli-test://", "orders", '{"id":1}'], io.options), 0);
    assert.deepEqual(orders, [{ id: 1 }]);
    assert.equal(await main(["publish", "cli-test://", "prices", "tea", "--rpc"], io.options), 0);
    assert.deepEqual(io.out, ["tea: 3.50"]);
    assert.equal(
      await main(["publish", "cli-test://", "nobody", "hi", "--rpc", "--timeout", "50"], io.options),
      1,
    );
    assert.match(io.err[0]!, /No reply from nobody within 50 ms/);
    assert.equal(await main(["publish", "kafkaa://x", "t", "b"], io.options), 1);
    assert.match(io.err[1]!, /No plugin for "kafkaa:" URLs/);
  });

  it("refuses to publish to memory://, which no other process can reach", async () => {
    for (const url of ["memory://", "MEMORY://orders"]) {
      const io = capture();
      assert.equal(await main(["publish", url, "orders", '{"id":1}'], io.options), 2);
      assert.match(io.err[0]!, /memory:\/\/ lives inside one process/);
      assert.match(io.err[0]!, /kafka:\/\/localhost:9092/);
      assert.match(io.err[0]!, /testBroker/);
      assert.equal(await main(["publish", url, "prices", "tea", "--rpc"], io.options), 2);
    }
  });

  it("parses targets and bodies", () => {
    assert.deepEqual(parseTarget("src/app.ts:worker"), { file: "src/app.ts", name: "worker" });
    assert.deepEqual(parseTarget("src/app.ts"), { file: "src/app.ts", name: "app" });
    assert.deepEqual(parseBody('{"a":1}'), { a: 1 });
    assert.equal(parseBody("plain"), "plain");
  });
});
