// A publish the driver fails: the caller gets a Sluice error that names the message, the channel and the
// broker, with the client library's error as its cause; the driver's own Sluice errors pass unchanged.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { Broker, type Driver, memory, NotSupportedError, SluiceError } from "@sluice/core";

/** A memory driver whose publishes fail with `error`. */
function failing(error: unknown): Broker {
  const driver: Driver = {
    ...memory().driver,
    url: "memory://failing",
    publish: () => Promise.reject(error),
    publishBatch: () => Promise.reject(error),
  };
  return new Broker(driver, { logLevel: "error" });
}

describe("failed publishes", () => {
  it("wrap a client library's error in one naming the message, the channel and the broker", async () => {
    const cause = Object.assign(new Error("'payload' max_payload size exceeded"), {
      name: "InvalidArgumentError",
    });
    const broker = failing(cause);
    await broker.connect();
    try {
      await assert.rejects(
        broker.publish({ id: 1 }, "orders.created", { messageId: "m-1" }),
        (error: unknown) => {
          assert.ok(error instanceof SluiceError, String(error));
          assert.equal(
            error.message,
            "Cannot publish message m-1 to orders.created on memory://failing: InvalidArgumentError: 'payload' max_payload size exceeded",
          );
          assert.equal(error.cause, cause);
          return true;
        },
      );
      await assert.rejects(broker.publishBatch([1, 2], "orders.created"), (error: unknown) => {
        assert.ok(error instanceof SluiceError, String(error));
        assert.match(
          error.message,
          /^Cannot publish 2 message\(s\) to orders\.created on memory:\/\/failing: /,
        );
        return true;
      });
    } finally {
      await broker.close();
    }
  });

  it("leave a driver's own Sluice error as it is", async () => {
    const own = new NotSupportedError("Cannot publish message m-2 to a/b: header x has a NUL");
    const broker = failing(own);
    await broker.connect();
    try {
      await assert.rejects(broker.publish(1, "a/b", { messageId: "m-2" }), (error: unknown) => error === own);
    } finally {
      await broker.close();
    }
  });
});
