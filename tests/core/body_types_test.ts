// A handler's body type comes from its subscriber's schema. Without one it is `unknown`, so a handler that
// claims more does not compile; `unchecked<T>()` is the explicit cast for producers one trusts.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { memory, unchecked } from "@sluice/core";
import { testBroker } from "@sluice/core/testing";

/** Never called: it only has to type-check. */
export function bodyTypes(): void {
  const broker = memory();
  // @ts-expect-error: without a schema the body is unknown, not number — add a schema, or unchecked<number>()
  broker.subscriber("numbers").handle((n: number) => n * 2);
  broker.subscriber("numbers", { schema: unchecked<number>() }).handle((n) => n * 2);
  broker.subscriber("any").handle((body) => typeof body === "number" ? body * 2 : 0);
}

describe("unchecked", () => {
  it("types the body without checking it: what arrives is what the handler gets", async () => {
    const broker = memory({ logLevel: "error" });
    const doubled: number[] = [];
    broker.subscriber("numbers", { schema: unchecked<number>() }).handle((n) => {
      doubled.push(n * 2);
    });
    await using br = await testBroker(broker);
    await br.publish(21, "numbers");
    await br.settled();
    assert.deepEqual(doubled, [42]);
  });
});
