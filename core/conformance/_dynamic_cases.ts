/**
 * The dynamic cases: subscribers added while the broker runs, started, and removed again — FastStream's
 * dynamic subscribers — with the generated docs showing them while they exist.
 *
 * @module
 */

import { asyncapi } from "../asyncapi/document.ts";
import { assert, pause, until } from "./_assert.ts";
import { caseSetup } from "./_cases.ts";
import type { ConformanceTarget, TestFunctions } from "./types.ts";

/** Registers the dynamic subscriber cases for `target`. */
export function dynamicCases(target: ConformanceTarget, { describe, it }: TestFunctions): void {
  const timeout = target.timeout ?? 5000;
  const quiet = target.real ? 500 : 30;

  describe(`conformance: ${target.name}: dynamic subscribers`, () => {
    it("subscribes while running, then unsubscribes, leaving the others consuming", {}, async () => {
      const { broker, channel, sub, pub, start } = setup();
      const fixed = channel("fixed");
      const added = channel("added");
      const always = broker.subscriber(fixed, sub()).handle(() => {});
      await using br = await start();
      const addresses = (): string[] =>
        Object.values(asyncapi(broker).channels ?? {}).map((c) => c.address ?? "");

      const got: unknown[] = [];
      const dynamic = broker.subscriber(added, sub());
      dynamic.handle((body) => void got.push(body));
      assert.equal(dynamic.running, false);
      await dynamic.start();
      assert.equal(dynamic.running, true);
      assert.ok(addresses().includes(added), `the docs show ${added} while it is subscribed`);
      await br.publish({ n: 1 }, added, pub());
      await until(() => got.length === 1, timeout, "the message to the added subscriber");
      assert.deepEqual(got, [{ n: 1 }]);

      await dynamic.remove();
      assert.equal(dynamic.running, false);
      assert.ok(!addresses().includes(added), `the docs no longer show ${added}`);
      assert.ok(!broker.allSubscribers().includes(dynamic as never));
      await br.publish({ n: 2 }, added, pub());
      await br.publish({ n: 3 }, fixed, pub());
      await until(() => always.mock.calls.length === 1, timeout, "the message to the fixed subscriber");
      await pause(quiet);
      assert.deepEqual(got, [{ n: 1 }], "a removed subscriber receives nothing more");
      await assert.rejects(dynamic.start(), (error) => /was removed/.test(String(error)));
    });
  });

  function setup() {
    return caseSetup(target, "delivery");
  }
}
