// Options are typed strictly: a misspelt option is a compile error (checked by `deno check`, which runs
// before `deno test`), and, for code the compiler never saw, a runtime error that names the likely option.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { Broker, type Driver, memory, type NoOptions, OptionError, unchecked } from "@sluice/core";
import { memoryDriver } from "@sluice/core/kit";
import { testBroker } from "@sluice/core/testing";

/** Never called: it only has to type-check, with each typo refused by the compiler. */
export function typosDoNotCompile(): void {
  const broker = memory();
  // @ts-expect-error: "concurency" is not an option; the compiler suggests "concurrency"
  broker.subscriber("orders", { concurency: 10 });
  // @ts-expect-error: "headerz" is not a publish option
  broker.publish({}, "orders", { headerz: { a: "b" } });
  // @ts-expect-error: "descripton" is not a publisher option
  broker.publisher("orders", { descripton: "x" });
  // @ts-expect-error: "timout" is not a request option
  broker.request({}, "orders", { timout: 10 });
  // @ts-expect-error: "logLevl" is not a broker option
  memory({ logLevl: "debug" });
  // Spelt right, every one compiles.
  broker.subscriber("orders", { concurrency: 10, group: "billing", retry: 3 });
  broker.publish({}, "orders", { headers: { a: "b" }, correlationId: "c" });
}

/**
 * Never called: a publisher of a broker with publish options of its own (a Kafka key, an MQTT QoS) chains to a
 * subscriber like any other, and types what the handler returns.
 */
export function publishersOfAnyBrokerChain(): void {
  // An interface, as plugins declare their options: it has no index signature.
  interface KeyOptions {
    readonly key?: string;
  }
  const broker = new Broker(memoryDriver() as unknown as Driver<NoOptions, KeyOptions>);
  const totals = broker.publisher("totals", { key: "k", schema: unchecked<{ total: number }>() });
  broker.subscriber("orders").publisher(totals).handle(() => ({ total: 1 }));
  // @ts-expect-error: the handler must return what the publisher takes
  broker.subscriber("orders").publisher(totals).handle(() => ({ total: "1" }));
}

describe("options", () => {
  it("refuses, at runtime too, an option the memory broker does not have, suggesting the right one", async () => {
    const broker = memory({ logLevel: "error" });
    broker.subscriber("orders", { concurency: 10 } as Record<string, unknown>).handle(() => {});
    await assert.rejects(testBroker(broker), (error: unknown) => {
      assert.ok(error instanceof OptionError);
      assert.match(error.message, /unknown option "concurency": did you mean "concurrency"\?/);
      return true;
    });
  });

  it("refuses an unknown publish option at the publish that passed it", async () => {
    const broker = memory({ logLevel: "error" });
    await using br = await testBroker(broker);
    await assert.rejects(
      br.publish({}, "orders", { headerz: {} } as Record<string, unknown>),
      /unknown option "headerz": did you mean "headers"\?/,
    );
  });
});
