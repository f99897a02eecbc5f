// Every plugin accepts every core option — of a broker, a subscriber, a publisher and a publish — because
// the core keeps one list of them and hands each driver only the rest. A plugin that kept its own copy of
// the core's names (and so refused one added later, as NATS once refused maxBodySize) fails here.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  type Broker,
  type BrokerOptions,
  CORE_BROKER_OPTIONS,
  CORE_PUBLISH_OPTIONS,
  CORE_PUBLISHER_OPTIONS,
  CORE_SUBSCRIBER_OPTIONS,
  type PublisherOptions,
  type PublishOptions,
  silentLogger,
  type SubscriberOptions,
} from "@sluice/core";
import { testBroker } from "@sluice/core/testing";
import { kafka } from "@sluice/kafka";
import { mqtt } from "@sluice/mqtt";
import { nats } from "@sluice/nats";
import { rabbitmq } from "@sluice/rabbitmq";
import { redis } from "@sluice/redis";
import { sqs } from "@sluice/sqs";

const brokerOptions: Required<BrokerOptions> = {
  logger: silentLogger,
  logLevel: "error",
  logFormat: "json",
  codecs: [],
  middlewares: [],
  maxBodySize: 1 << 20,
  drainTimeout: 1000,
  requestTimeout: 1000,
};

const subscriberOptions: Required<Omit<SubscriberOptions, "schema" | "batch" | "orderBy">> = {
  group: "core-options",
  ack: "auto",
  onError: "reject",
  retry: { attempts: 2, delay: 1 },
  deadLetter: "core-options-dead",
  concurrency: 2,
  prefetch: 4,
  maxBodySize: 1 << 20,
  codecs: [],
  middlewares: [],
  description: "every core option",
  needs: {},
};

const publisherOptions: Required<Omit<PublisherOptions, "schema">> = {
  middlewares: [],
  headers: { "x-core": "yes" },
  description: "every core option",
};

const publishOptions: Required<PublishOptions> = {
  headers: { "x-core": "yes" },
  correlationId: "core-options",
  messageId: "core-options-1",
  replyTo: "core-options-replies",
  contentType: "application/json",
};

const factories: Record<string, (options: BrokerOptions) => Broker> = {
  kafka: (o) => kafka(o),
  mqtt: (o) => mqtt(o),
  nats: (o) => nats(o),
  rabbitmq: (o) => rabbitmq(o),
  redis: (o) => redis(o),
  sqs: (o) => sqs(o),
};

describe("every plugin accepts every core option", () => {
  it("covers every core option name", () => {
    assert.deepEqual(Object.keys(brokerOptions).sort(), [...CORE_BROKER_OPTIONS].sort());
    assert.deepEqual(
      [...Object.keys(subscriberOptions), "schema", "batch", "orderBy"].sort(),
      [...CORE_SUBSCRIBER_OPTIONS].sort(),
    );
    assert.deepEqual([...Object.keys(publisherOptions), "schema"].sort(), [...CORE_PUBLISHER_OPTIONS].sort());
    assert.deepEqual(Object.keys(publishOptions).sort(), [...CORE_PUBLISH_OPTIONS].sort());
  });

  for (const [name, create] of Object.entries(factories)) {
    it(`${name}: broker, subscriber, publisher and publish options`, async () => {
      const broker = create(brokerOptions);
      const got: unknown[] = [];
      broker.subscriber("core-options", { ...subscriberOptions, orderBy: "key" }).handle((body) => {
        got.push(body);
      });
      broker.subscriber("core-options-batch", { batch: { size: 2, timeout: 10 } }).handle(() => {});
      const publisher = broker.publisher("core-options", publisherOptions);
      await using br = await testBroker(broker);
      await br.publish({ n: 1 }, "core-options", publishOptions);
      await publisher.publish({ n: 2 });
      await br.settled();
      assert.deepEqual(got.length, 2);
    });
  }
});
