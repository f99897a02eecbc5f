// Dead letters land where the subscriber's kind keeps messages: a stream subscriber's in a stream, a list
// subscriber's in a list, even on a broker whose default kind is Pub/Sub, so they wait for whoever reads the
// dead-letter channel instead of vanishing into a Pub/Sub channel nobody listens to.
import { after, describe, it } from "node:test";
import assert from "node:assert/strict";
import { testBroker } from "@sluice/core/testing";
import { server, targets, unique, until } from "./_support.ts";

if (server) after(() => server!.stop());

for (const target of targets) {
  describe(`redis dead letters (${target.name})`, () => {
    for (const kind of ["stream", "list"] as const) {
      it(`sends a ${kind} subscriber's dead letters to a ${kind}`, async () => {
        const key = unique(`dl-${kind}`);
        const dead = `${key}.dead`;
        const broker = target.broker();
        const of = (group: string) =>
          kind === "stream" ? { stream: { group, block: 200 } } : { list: { consumer: group } };
        broker.subscriber(key, { ...of("work"), deadLetter: dead }).handle(() => {
          throw new Error("broken");
        });
        const letters = broker.subscriber(dead, of("dead")).handle(() => {});
        await using br = await testBroker(broker, { real: target.real });
        await br.publish({ id: 7 }, key, { [kind]: true });
        await until(() => letters.mock.calls.length === 1, "the dead letter", 10_000);
        assert.deepEqual(letters.mock.calls[0]!.body, { id: 7 });
        assert.match(letters.mock.calls[0]!.headers["x-sluice-error"] ?? "", /broken/);
      });
    }
  });
}
