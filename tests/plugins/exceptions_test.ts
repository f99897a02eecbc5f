// The exception middleware on real brokers: a rule's nack returns the message to RabbitMQ, which delivers
// it again; a rule's reply answers a NATS request. The emulations run the same tests.
import { after, describe, it } from "node:test";
import assert from "node:assert/strict";
import { type Broker, createLogger, exceptions } from "@sluice/core";
import { testBroker } from "@sluice/core/testing";
import { nats } from "@sluice/nats";
import { rabbitmq } from "@sluice/rabbitmq";
import { realBroker } from "../_support/brokers.ts";

class Busy extends Error {}
class NotFound extends Error {}

const silent = () => createLogger({ sink: () => {} });
const unique = (prefix: string): string =>
  `${prefix}${Date.now().toString(36)}${Math.random().toString(36).slice(2, 7)}`;

const realNats = await realBroker("nats");
const realAmqp = await realBroker("amqp");
after(() => Promise.all([realNats?.stop(), realAmqp?.stop()]));

function targets<B extends Broker>(
  make: (url?: string) => B,
  url: string | undefined,
): [string, () => B, boolean][] {
  const list: [string, () => B, boolean][] = [["emulation", () => make(), false]];
  if (url) list.push(["real", () => make(url), true]);
  return list;
}

for (
  const [where, make, real] of targets(
    (url) => rabbitmq({ logger: silent(), ...(url ? { url } : {}) }),
    realAmqp?.url,
  )
) {
  describe(`exception middleware on rabbitmq (${where})`, () => {
    it("returns a message to the queue when a rule says nack, and the broker delivers it again", async () => {
      const broker = make();
      const queue = unique("exc-");
      const deliveries: boolean[] = [];
      broker.subscriber(queue, { middlewares: [exceptions().on(Busy, () => "nack")] }).handle(
        (_body, ctx) => {
          deliveries.push(ctx.message.redelivered);
          if (deliveries.length === 1) throw new Busy("later");
        },
      );
      await using br = await testBroker(broker, { real });
      await br.publish("job", queue);
      const end = Date.now() + 10_000;
      while (deliveries.length < 2 && Date.now() < end) await new Promise((r) => setTimeout(r, 10));
      assert.deepEqual(deliveries, [false, true]);
    });
  });
}

for (
  const [where, make, real] of targets(
    (url) => nats({ logger: silent(), ...(url ? { servers: url } : {}) }),
    realNats?.url,
  )
) {
  describe(`exception middleware on nats (${where})`, () => {
    it("answers a request with a rule's reply", async () => {
      const broker = make();
      const subject = unique("exc.");
      broker.use(exceptions().on(NotFound, (error) => ({ reply: { status: 404, error: error.message } })));
      broker.subscriber(subject).handle((id: unknown) => {
        throw new NotFound(`user ${String(id)} not found`);
      });
      await using br = await testBroker(broker, { real });
      const reply = await br.request(7, subject, { timeout: 5000 });
      assert.deepEqual(reply.body, { status: 404, error: "user 7 not found" });
    });
  });
}
