// A publisher declared on a plugin's broker chains into that broker's subscribers. The plugins' publish
// options have no index signature (so that a typo does not compile), and `.publisher(publisher)` once
// accepted only publishers whose options had one: this file did not type-check.
import { it } from "node:test";
import assert from "node:assert/strict";
import { testBroker } from "@sluice/core/testing";
import { nats } from "@sluice/nats";
import { rabbitmq } from "@sluice/rabbitmq";

it("chains a NATS broker's publisher into a subscriber: the handler's result is published there", async () => {
  const broker = nats({ logLevel: "error" });
  const confirmations = broker.publisher("confirmations");
  broker.subscriber("orders").publisher(confirmations).handle((order) => ({ confirmed: order }));
  await using br = await testBroker(broker);
  await br.publish(7, "orders");
  await br.settled();
  assert.deepEqual(confirmations.mock.calls[0]?.body, { confirmed: 7 });
});

it("chains a RabbitMQ broker's publisher with its own options into a subscriber", async () => {
  const broker = rabbitmq({ logLevel: "error" });
  const audit = broker.publisher("audit", { persistent: true });
  broker.subscriber("orders").publisher(audit).handle(() => "seen");
  await using br = await testBroker(broker);
  await br.publish("x", "orders");
  await br.settled();
  assert.equal(audit.mock.calls[0]?.body, "seen");
});
