// Every example app, and one app per broker with its main options, passes the official AsyncAPI parser
// (@asyncapi/parser) with no error, as JSON and as YAML.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import type { App } from "@sluice/core";
import { asyncapi, toYaml } from "@sluice/core/asyncapi";
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
});
