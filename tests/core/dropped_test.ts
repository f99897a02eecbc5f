// A driver that drops a message (a Redis Pub/Sub or core NATS subscriber past its maxPending bounds) tells the
// core through the subscription's events, and the core tells the `dropped` hook of every middleware around
// that subscriber: the broker's and its routers', then the subscriber's own.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  Broker,
  type DroppedMessage,
  type Middleware,
  Router,
  type SubscriptionEvents,
  type SubscriptionSpec,
} from "@sluice/core";
import { memoryRules } from "@sluice/core/kit";
import { recordingLogger } from "./_helpers.ts";

/** A driver that keeps each subscription's events, for the test to drop messages through. */
function droppingDriver() {
  const subscriptions = new Map<string, { spec: SubscriptionSpec; events: SubscriptionEvents | undefined }>();
  return {
    subscriptions,
    driver: {
      name: "dropping",
      url: "dropping://",
      rules: memoryRules,
      connect: () => Promise.resolve(),
      close: () => Promise.resolve(),
      subscribe(spec: SubscriptionSpec, _deliver: unknown, events?: SubscriptionEvents) {
        subscriptions.set(spec.template, { spec, events });
        return Promise.resolve({ stop: () => Promise.resolve() });
      },
      publish: () => Promise.resolve(),
    },
  };
}

/** A middleware that records the dropped messages it is told of under `name`. */
function recording(name: string, seen: string[]): Middleware {
  return { name, dropped: (m: DroppedMessage) => void seen.push(`${name} ${m.subscriber} ${m.channel}`) };
}

describe("dropped messages", () => {
  it("reach the dropped hook of every middleware around the subscriber, outermost first", async () => {
    const { driver, subscriptions } = droppingDriver();
    const seen: string[] = [];
    const broker = new Broker(driver, { middlewares: [recording("broker", seen)] });
    const router = new Router({ prefix: "shop.", middlewares: [recording("router", seen)] });
    router.subscriber("logs.{level}", { middlewares: [recording("own", seen)] }).handle(() => {});
    broker.include(router);
    broker.subscriber("other").handle(() => {});
    await broker.start();
    try {
      subscriptions.get("shop.logs.{level}")!.events!.dropped("shop.logs.error");
      subscriptions.get("other")!.events!.dropped("other");
      assert.deepEqual(seen, [
        "broker shop.logs.{level} shop.logs.error",
        "router shop.logs.{level} shop.logs.error",
        "own shop.logs.{level} shop.logs.error",
        "broker other other",
      ]);
    } finally {
      await broker.close();
    }
  });

  it("tell the broker's middlewares of a reply dropped on the core's reply channel", async () => {
    const { driver, subscriptions } = droppingDriver();
    const seen: DroppedMessage[] = [];
    const broker = new Broker(driver, { middlewares: [{ dropped: (m) => void seen.push(m) }] });
    await broker.start();
    try {
      // The driver has no native request: the core subscribes its reply channel, and no reply ever comes.
      await assert.rejects(broker.request("ping", "pong", { timeout: 10 }), /No reply/);
      const [reply] = [...subscriptions.values()].filter((s) => s.spec.reply);
      reply!.events!.dropped(reply!.spec.channel);
      assert.deepEqual(seen, [{
        broker: "dropping",
        subscriber: reply!.spec.channel,
        channel: reply!.spec.channel,
      }]);
    } finally {
      await broker.close();
    }
  });

  it("are logged where a middleware's hook throws, and still reach the others", async () => {
    const { driver, subscriptions } = droppingDriver();
    const { logger, logs } = recordingLogger();
    const seen: string[] = [];
    const failing: Middleware = {
      name: "failing",
      dropped: () => {
        throw new Error("no registry");
      },
    };
    const broker = new Broker(driver, { logger, middlewares: [failing, recording("after", seen)] });
    broker.subscriber("orders").handle(() => {});
    await broker.start();
    try {
      subscriptions.get("orders")!.events!.dropped("orders");
      assert.deepEqual(seen, ["after orders orders"]);
      const [error] = logs.find("error", "failed on a dropped message");
      assert.match(error!.message, /Middleware failing failed on a dropped message: .*no registry/);
    } finally {
      await broker.close();
    }
  });
});
