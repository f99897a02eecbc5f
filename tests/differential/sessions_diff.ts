/**
 * What survives between two `testBroker()` sessions on one broker object, on every broker: a message sent in
 * the first session to a place the broker keeps (a Kafka topic, a RabbitMQ queue, a JetStream stream, a
 * Redis list, an MQTT retained message, an SQS queue) is there in the second, on the emulation as on the real
 * broker. `testBroker(broker, { fresh: true })` starts the emulation empty instead.
 */
import { after, describe, it } from "node:test";
import assert from "node:assert/strict";
import type { Broker } from "@sluice/core";
import { testBroker } from "@sluice/core/testing";
import { kafka } from "@sluice/kafka";
import { rabbitmq } from "@sluice/rabbitmq";
import { nats } from "@sluice/nats";
import { redis } from "@sluice/redis";
import { mqtt } from "@sluice/mqtt";
import { sqs } from "@sluice/sqs";
import { type BrokerName, realBroker } from "../_support/brokers.ts";

interface Scenario {
  readonly broker: BrokerName;
  /** A broker object for `url` (undefined: the emulation) and the unique name `name`. */
  make(url: string | undefined, name: string): Broker;
  /** What the first session publishes. */
  publish(broker: Broker, name: string): Promise<void>;
  /** Subscribes in the second session; the handler records bodies. */
  subscribe(broker: Broker, name: string, seen: unknown[]): void;
  /** Removes what the real broker kept. */
  clean?(broker: Broker, name: string): Promise<void>;
}

const scenarios: Scenario[] = [
  {
    broker: "kafka",
    make: (url, _name) =>
      kafka({ brokers: url ? [url.replace(/^kafka:\/\//, "")] : undefined, logLevel: "warn" }),
    publish: (b, name) => b.publish("m1", name, { topic: { partitions: 1 } } as never),
    subscribe: (b, name, seen) =>
      void b.subscriber(name, { group: name, from: "earliest" } as never).handle((body) =>
        void seen.push(body)
      ),
  },
  {
    broker: "amqp",
    make: (url, name) =>
      rabbitmq({
        url,
        logLevel: "warn",
        declare: { queues: [{ name }], bindings: [{ queue: name, exchange: "amq.topic", routingKey: name }] },
      }),
    publish: (b, name) => b.publish("m1", name),
    subscribe: (b, name, seen) =>
      void b.subscriber(name, { group: name }).handle((body) => void seen.push(body)),
  },
  {
    broker: "nats",
    make: (url, name) =>
      nats({ servers: url, logLevel: "warn", streams: [{ name, subjects: [`${name}.>`] }] }),
    publish: (b, name) => b.publish("m1", `${name}.a`),
    subscribe: (b, name, seen) =>
      void b.subscriber(`${name}.a`, { stream: name } as never).handle((body) => void seen.push(body)),
  },
  {
    broker: "redis",
    make: (url) => redis({ url, logLevel: "warn" }),
    publish: (b, name) => b.publish("m1", name, { list: true } as never),
    subscribe: (b, name, seen) =>
      void b.subscriber(name, { list: true } as never).handle((body) => void seen.push(body)),
  },
  {
    broker: "mqtt",
    make: (url) => mqtt({ url, logLevel: "warn" }),
    publish: (b, name) => b.publish("m1", `${name}/t`, { retain: true, qos: 1 } as never),
    subscribe: (b, name, seen) =>
      void b.subscriber(`${name}/t`, { qos: 1 } as never).handle((body) => void seen.push(body)),
    clean: (b, name) => b.publish(new Uint8Array(), `${name}/t`, { retain: true, qos: 1 } as never),
  },
  {
    broker: "sqs",
    make: (url) => sqs({ url, logLevel: "warn" }),
    publish: (b, name) => b.publish("m1", name),
    subscribe: (b, name, seen) => void b.subscriber(name).handle((body) => void seen.push(body)),
  },
];

async function twoSessions(scenario: Scenario, url: string | undefined, fresh = false): Promise<unknown[]> {
  const name = `dss${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;
  const broker = scenario.make(url, name);
  const real = url !== undefined;
  {
    await using session = await testBroker(broker, { real });
    await scenario.publish(session.broker, name);
  }
  const seen: unknown[] = [];
  scenario.subscribe(broker, name, seen);
  {
    await using session = await testBroker(broker, { real, fresh });
    const end = Date.now() + 15_000;
    while (seen.length === 0 && Date.now() < end && (real || !fresh)) {
      await new Promise((r) => setTimeout(r, 20));
    }
    await session.settled({ timeout: 15_000 });
    const received = [...seen];
    if (real) await scenario.clean?.(session.broker, name);
    return received;
  }
}

for (const scenario of scenarios) {
  const real = await realBroker(scenario.broker);
  describe(`${scenario.broker}: two test sessions on one broker object`, () => {
    after(() => real?.stop());
    it("keep what the broker keeps, on the emulation as on the real broker", {
      skip: real ? false : `no real ${scenario.broker}`,
    }, async () => {
      const emulated = await twoSessions(scenario, undefined);
      const observed = await twoSessions(scenario, real!.url);
      assert.deepEqual(emulated, observed, "emulation (actual) and real broker (expected) differ");
      assert.deepEqual(observed, ["m1"]);
    });
    it("start empty with fresh: true", async () => {
      assert.deepEqual(await twoSessions(scenario, undefined, true), []);
    });
  });
}
