// No credential reaches the generated document: a password is planted in every kind of URL each plugin reads
// and in every option that holds a secret, and the document (JSON and YAML) is searched for it.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import type { Broker, Plugin } from "@sluice/core";
import { asyncapi, toYaml } from "@sluice/core/asyncapi";
import { kafka, plugin as kafkaPlugin } from "@sluice/kafka";
import { mqtt, plugin as mqttPlugin } from "@sluice/mqtt";
import { nats, plugin as natsPlugin } from "@sluice/nats";
import { plugin as rabbitmqPlugin, rabbitmq } from "@sluice/rabbitmq";
import { plugin as redisPlugin, redis } from "@sluice/redis";
import { plugin as sqsPlugin, sqs } from "@sluice/sqs";

// Upper-case letters only, so that it also fits an NKey seed.
const SECRET = "PLANTEDSECRET";
const PEM = `-----BEGIN PRIVATE KEY-----\n${SECRET}\n-----END PRIVATE KEY-----`;
const quiet = { logLevel: "error" } as const;

/** Brokers made from a URL, as `connect(url)` makes them (without connecting). */
function fromUrls(plugin: Plugin, urls: readonly string[]): Promise<Broker[]> {
  return Promise.all(urls.map((url) => plugin.create(new URL(url.replace(/,[^/?]*/, "")), quiet, url)));
}

/** Declares a subscriber and a publisher, so that every kind of binding is made. */
function declare(broker: Broker): Broker {
  broker.subscriber("orders.{region}", { group: "billing" }).publisher("invoices").handle(() => ({}));
  broker.publisher("audit");
  return broker;
}

const cases: Record<string, () => Promise<Broker[]>> = {
  kafka: async () => [
    kafka({
      brokers: ["k1:9092"],
      sasl: { mechanism: "scram-sha-256", username: "app", password: SECRET },
      ssl: { key: PEM, cert: PEM, ca: PEM },
      ...quiet,
    }),
    ...await fromUrls(kafkaPlugin, [
      `kafka://app:${SECRET}@k1:9092,k2:9092?sasl=scram-sha-512&ssl=1`,
      `kafka://${SECRET}:${SECRET}@k1:9092`,
    ]),
  ],
  rabbitmq: async () => [
    rabbitmq({
      url: "amqps://rabbit:5671/shop",
      username: "app",
      password: SECRET,
      tls: { key: PEM, cert: PEM, passphrase: SECRET },
      ...quiet,
    }),
    ...await fromUrls(rabbitmqPlugin, [
      `amqp://app:${SECRET}@rabbit:5672/shop?heartbeat=30`,
      `amqps://app:${encodeURIComponent(`${SECRET}/@:`)}@rabbit/%2F`,
    ]),
  ],
  nats: async () => [
    nats({ servers: "nats://n1:4222", token: SECRET, ...quiet }),
    nats({
      servers: "nats://n1:4222",
      user: "app",
      pass: SECRET,
      tls: { key: PEM, keyFile: SECRET },
      ...quiet,
    }),
    nats({ servers: "nats://n1:4222", nkeySeed: `SU${SECRET}`, ...quiet }),
    nats({ servers: "nats://n1:4222", credentials: `/etc/${SECRET}.creds`, ...quiet }),
    nats({ servers: [`nats://app:${SECRET}@n1:4222`, `nats://${SECRET}@n2:4222`], ...quiet }),
    ...await fromUrls(natsPlugin, [`nats://app:${SECRET}@n1:4222`, `nats://${SECRET}@n1:4222`]),
  ],
  redis: async () => [
    redis({ url: "rediss://cache:6380/1", username: "app", password: SECRET, tls: { key: PEM }, ...quiet }),
    ...await fromUrls(redisPlugin, [
      `redis://:${SECRET}@cache:6379/0`,
      `rediss://app:${SECRET}@cache:6380/2`,
    ]),
  ],
  mqtt: async () => [
    mqtt({ url: "mqtts://broker:8883", username: "app", password: SECRET, tls: { key: PEM }, ...quiet }),
    ...await fromUrls(mqttPlugin, [`mqtt://app:${SECRET}@broker:1883`, `mqtts://app:${SECRET}@broker`]),
  ],
  sqs: async () => [
    sqs({
      endpoint: "http://127.0.0.1:9324",
      region: "eu-west-1",
      credentials: { accessKeyId: SECRET, secretAccessKey: SECRET, sessionToken: SECRET },
      ...quiet,
    }),
    ...await fromUrls(sqsPlugin, [`sqs://${SECRET}:${SECRET}@sqs.internal:9324?region=eu-west-1`]),
  ],
};

describe("the generated document holds no credential", () => {
  for (const [name, make] of Object.entries(cases)) {
    it(`${name}: none of the planted secrets, in any URL or option`, async () => {
      const brokers = (await make()).map(declare);
      assert.ok(brokers.length >= 2);
      for (const broker of brokers) {
        const document = asyncapi(broker);
        for (const text of [JSON.stringify(document), toYaml(document)]) {
          assert.ok(!text.includes(SECRET), `${broker.driver.url}:\n${text}`);
          assert.ok(!text.includes("PRIVATE KEY"), `${broker.driver.url}:\n${text}`);
        }
        assert.ok(Object.values(document.servers!).every((s) => s.host.length > 0));
      }
    });
  }
});
