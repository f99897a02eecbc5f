// The SQSClient the plugin makes: the settings it adds for the running runtime (the SDK's middleware cache
// everywhere, its fetch handler under Bun, _sdk.ts) and a user's `client` settings over them, on the real
// server.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { sqs } from "../mod.ts";
import { server, unique } from "./_helpers.ts";

/** The resolved config of a connected broker's client, and a round trip through it. */
async function connected(client?: Record<string, unknown>) {
  const broker = sqs({ url: server!.url, logLevel: "error", ...(client ? { client } : {}) });
  await broker.connect();
  const queue = unique("client");
  await broker.publish({ n: 1 }, queue);
  const config = broker.driver.client!.config as { cacheMiddleware?: boolean; requestHandler: object };
  return { broker, config };
}

describe("sqs client settings (ElasticMQ)", { skip: server ? false : "no real sqs" }, () => {
  it("keeps each command's middleware stack, and sends through fetch under Bun only", async () => {
    const { broker, config } = await connected();
    try {
      assert.equal(config.cacheMiddleware, true);
      const bun = "Bun" in globalThis;
      assert.equal(config.requestHandler.constructor.name, bun ? "FetchHttpHandler" : "NodeHttpHandler");
    } finally {
      await broker.close();
    }
  });

  it("lets the user's client settings replace them", async () => {
    const { broker, config } = await connected({ cacheMiddleware: false });
    try {
      assert.equal(config.cacheMiddleware, false);
    } finally {
      await broker.close();
    }
  });
});
