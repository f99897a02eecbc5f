// Every example app, and one app per broker with its main options, passes the official AsyncAPI parser
// (@asyncapi/parser) with no error, as JSON and as YAML; and `sluice docs gen` prints such a document under
// every runtime.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import type { App } from "@sluice/core";
import { asyncapi, toYaml } from "@sluice/core/asyncapi";
import { runScript, RUNTIMES } from "../_support/runtimes.ts";
import { APPS } from "./_apps.ts";
import { parse } from "./_parse.ts";

const examples: Record<string, () => Promise<App>> = {
  "examples/hello": async () => (await import("../../examples/hello/app.ts")).app,
  "examples/quickstart": async () => (await import("../../examples/quickstart/app.ts")).app,
};
const apps: Record<string, () => App | Promise<App>> = { ...examples, ...APPS };

describe("the official AsyncAPI parser", () => {
  it("checks at least eight apps, on all six brokers", () => {
    assert.ok(Object.keys(apps).length >= 8);
    const protocols = new Set(
      Object.values(APPS).flatMap((make) =>
        Object.values(asyncapi(make(), {}, { onWarning: () => {} }).servers!)
      )
        .map((server) => server.protocol.replace(/-secure$|^secure-/, "")),
    );
    for (const protocol of ["kafka", "amqp", "nats", "redis", "mqtt", "sqs"]) {
      assert.ok(protocols.has(protocol));
    }
  });

  for (const [name, make] of Object.entries(apps)) {
    it(
      `accepts the document of ${name}, as JSON and as YAML, and reads both alike`,
      { timeout: 60_000 },
      async () => {
        const document = asyncapi(await make(), { title: name, version: "1.0.0" }, { onWarning: () => {} });
        const json = await parse(JSON.stringify(document));
        const yaml = await parse(toYaml(document));
        assert.deepEqual(json.errors, []);
        assert.deepEqual(yaml.errors, []);
        assert.deepEqual(yaml.json, json.json);
      },
    );
  }

  const main = fileURLToPath(new URL("../../cli/main.ts", import.meta.url));
  const quickstart = fileURLToPath(new URL("../../examples/quickstart/app.ts", import.meta.url));
  for (const runtime of RUNTIMES) {
    for (const format of ["JSON", "YAML"]) {
      it(`accepts what sluice docs gen prints as ${format} for examples/quickstart under ${runtime.name}`, {
        timeout: 60_000,
      }, async () => {
        const args = ["docs", "gen", `${quickstart}:app`, ...(format === "YAML" ? ["--yaml"] : [])];
        const { code, stdout, stderr } = await runScript(runtime, main, args).finished;
        assert.equal(code, 0, stderr);
        assert.match(stdout, format === "YAML" ? /^asyncapi: "3\.0\.0"$/m : /^\{\n {2}"asyncapi": "3\.0\.0"/);
        assert.deepEqual((await parse(stdout)).errors, []);
      });
    }
  }
});
