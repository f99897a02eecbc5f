// Options are typed strictly: a misspelt option is a compile error (checked by `deno check`, which runs
// before `deno test`), and, for code the compiler never saw, a runtime error that names the likely option.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { memory, OptionError } from "@sluice/core";
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
