// Smoke test against a real Redis with the raw client (ioredis): Pub/Sub round trip.
import { after, describe, it } from "node:test";
import assert from "node:assert/strict";
import { Redis } from "ioredis";
import { realBroker } from "../_support/brokers.ts";

const redis = await realBroker("redis");

describe("redis smoke", { skip: redis ? false : "no real redis" }, () => {
  after(() => redis!.stop());

  it("publishes and consumes one message", { timeout: 30_000 }, async () => {
    const options = { maxRetriesPerRequest: 1, retryStrategy: () => null };
    const subscriber = new Redis(redis!.url, options);
    const publisher = new Redis(redis!.url, options);
    try {
      const channel = `sluice-smoke-${crypto.randomUUID()}`;
      const received = new Promise<string>((resolve) => {
        subscriber.on("message", (ch: string, body: string) => ch === channel && resolve(body));
      });
      await subscriber.subscribe(channel);
      assert.equal(await publisher.publish(channel, "hello redis"), 1);
      assert.equal(await received, "hello redis");
    } finally {
      await Promise.allSettled([subscriber.quit(), publisher.quit()]);
    }
  });
});
