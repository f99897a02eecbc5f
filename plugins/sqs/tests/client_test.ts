// The SQSClient the plugin makes: the settings it adds for the running runtime (the SDK's middleware cache
// everywhere, its fetch handler under Bun, _sdk.ts), a user's `client` settings over them, and receives that
// keep the cache yet stop at once, on the real server.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { ReceiveMessageCommand, SendMessageCommand } from "@aws-sdk/client-sqs";
import { sqs } from "../mod.ts";
import { server, unique, until } from "./_helpers.ts";

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

  it("receives through the cached stack, and a stop still aborts a long poll at once", async () => {
    const broker = sqs({ url: server!.url, logLevel: "error", waitTimeSeconds: 20 });
    const queue = unique("cached");
    const received: unknown[] = [];
    broker.subscriber(queue).handle((body) => void received.push(body));
    await broker.start();
    let stopped = false;
    try {
      await broker.publish("one", queue);
      await until(() => received.length === 1, 10_000, "the message");
      // The SDK keeps its cache per command class, and drops all of it whenever a call is sent with options.
      const cache = (broker.driver.client as unknown as { handlers?: WeakMap<object, unknown> }).handlers;
      assert.ok(cache?.has(ReceiveMessageCommand), "the receive's stack is cached");
      assert.ok(cache?.has(SendMessageCommand), "the publish's stack is still cached");
      // The consumer is now long-polling the empty queue for 20 s.
      await new Promise((r) => setTimeout(r, 300));
      const started = Date.now();
      await broker.close();
      stopped = true;
      assert.ok(Date.now() - started < 2000, `close took ${Date.now() - started} ms`);
    } finally {
      if (!stopped) await broker.close();
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
