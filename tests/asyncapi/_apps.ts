// One app per broker, each using that broker's main options, and one that uses every feature the document
// describes (routers, filters, batches, dead letters, headers, several brokers). None of them connects: the
// document is derived from declarations alone.
import { type } from "arktype";
import { App, memory, Router, type StandardSchemaV1 } from "@sluice/core";
import { kafka } from "@sluice/kafka";
import { mqtt } from "@sluice/mqtt";
import { nats } from "@sluice/nats";
import { rabbitmq } from "@sluice/rabbitmq";
import { redis } from "@sluice/redis";
import { sqs } from "@sluice/sqs";

const Order = type({
  id: "number.integer",
  item: "string",
  quantity: "number.integer > 0",
  "note?": "string",
});
const Invoice = type({ orderId: "number.integer", total: "number", currency: "'EUR' | 'USD'" });
const Reading = type({ celsius: "number", at: "string" });

/** Kafka: bootstrap brokers, client id, topic settings, SASL and TLS, groups, a keyed publisher, a batch. */
export function kafkaApp(): App {
  const broker = kafka({
    brokers: ["kafka-1.internal:9092", "kafka-2.internal:9092"],
    clientId: "billing",
    ssl: true,
    sasl: { mechanism: "scram-sha-512", username: "billing", password: "kafka-secret" },
    topic: { partitions: 6, replicationFactor: 3 },
    logLevel: "error",
  });
  const invoices = broker.publisher("invoices", {
    schema: Invoice,
    key: "invoice",
    description: "Invoices.",
  });
  broker
    .subscriber("orders", {
      schema: Order,
      group: "billing",
      from: "earliest",
      topic: { partitions: 12, config: { "retention.ms": "604800000", "cleanup.policy": "compact,delete" } },
      description: "Bills every order.",
    })
    .publisher(invoices)
    .handle((order) => ({ orderId: order.id, total: order.quantity * 3, currency: "EUR" as const }));
  broker.subscriber("logs.{service}", { batch: { size: 100, timeout: 200 }, schema: type("string") })
    .handle(() => undefined);
  return new App(broker);
}

/** RabbitMQ: URL with a vhost, a declared exchange, a quorum queue, fan-out, the default exchange. */
export function rabbitmqApp(): App {
  const broker = rabbitmq({
    url: "amqp://shop:amqp-secret@rabbit.internal:5672/shop",
    exchange: "shop",
    declare: { exchanges: [{ name: "shop", type: "topic" }] },
    logLevel: "error",
  });
  broker
    .subscriber("orders.{region}", {
      schema: Order,
      group: "billing",
      queue: { name: "billing", type: "quorum" },
    })
    .handle((order, ctx) => ({ region: ctx.path.region, id: order.id }));
  broker.subscriber("audit", { exchange: { name: "audit", type: "fanout", durable: false } }).handle(
    () => {},
  );
  broker.subscriber("tasks", { exchange: "", queue: "tasks" }).handle(() => {});
  broker.publisher("orders.eu", { schema: Order, priority: 5, expiration: 60_000, type: "order" });
  broker.publisher("tasks", { exchange: "", persistent: false });
  return new App(broker);
}

/** NATS: several servers, a token, queue groups, a JetStream stream and durable consumer, a key-value watch. */
export function natsApp(): App {
  const broker = nats({
    servers: ["nats://nats-1.internal:4222", "nats://nats-2.internal:4222"],
    token: "nats-secret",
    logLevel: "error",
  });
  broker.subscriber("logs.{level}", { group: "printers" }).handle(() => {});
  broker
    .subscriber("orders.created", {
      schema: Order,
      group: "billing",
      stream: { name: "ORDERS", subjects: ["orders.>"] },
      consumer: { durable: "billing", ackWait: 60_000 },
    })
    .handle(() => {});
  broker.subscriber("profile.*", { kv: "profiles" }).handle(() => {});
  broker.publisher("orders.created", { schema: Order, jetstream: true });
  return new App(broker);
}

/** Redis: a password in the URL, streams by default with a group, Pub/Sub patterns, a list, trimming. */
export function redisApp(): App {
  const broker = redis({
    url: "redis://:redis-secret@cache.internal:6379/2",
    kind: "stream",
    logLevel: "error",
  });
  broker.subscriber("orders", { schema: Order, stream: { group: "billing", consumer: "billing-1" } })
    .handle(() => {});
  broker.subscriber("events.{kind}", { pubsub: true }).handle(() => {});
  broker.subscriber("jobs", { list: true }).handle(() => {});
  broker.publisher("orders", { schema: Order, maxLen: 10_000 });
  broker.publisher("jobs", { list: true });
  return new App(broker);
}

/** MQTT: TLS with credentials, MQTT 5, a client id and a last will, QoS, retained publishes. */
export function mqttApp(): App {
  const broker = mqtt({
    url: "mqtts://sensors:mqtt-secret@mqtt.internal:8883",
    protocol: "5",
    clientId: "thermostat",
    qos: 1,
    will: { topic: "status/thermostat", payload: "offline", retain: true },
    logLevel: "error",
  });
  broker.subscriber("sensors/{room}/temperature", { schema: Reading, qos: 2, group: "thermostats" })
    .handle(() => {});
  broker.publisher("alerts/heating", { schema: Reading, retain: true, qos: 0, messageExpiry: 3600 });
  return new App(broker);
}

/** SQS: credentials in the URL, a region, FIFO queues with a redrive policy, visibility timeouts. */
export function sqsApp(): App {
  const broker = sqs({
    url: "sqs://AKIAEXAMPLE:sqs-secret@sqs.internal:9324?region=eu-west-1",
    queues: {
      "orders.fifo": { fifo: true, deadLetter: { queue: "orders-dead.fifo", maxReceiveCount: 5 } },
      "orders-dead.fifo": { fifo: true, retentionPeriod: 1_209_600 },
    },
    logLevel: "error",
  });
  broker.subscriber("orders.fifo", { schema: Order, queue: { visibilityTimeout: 60 } }).handle(() => {});
  broker.subscriber("emails", { queue: { delaySeconds: 5 } }).handle(() => {});
  broker.publisher("orders.fifo", { schema: Order, groupId: "orders" });
  return new App(broker);
}

/** A schema whose validator cannot describe itself as JSON Schema. */
export const opaque: StandardSchemaV1<unknown, { secret: string }> = {
  "~standard": {
    version: 1,
    vendor: "opaque-lib",
    validate: (value) => ({ value: value as { secret: string } }),
  },
};

/** Routers with prefixes, filters, a batch subscriber, dead letters, publisher headers and two brokers. */
export function featuresApp(): App {
  const local = memory({ logLevel: "error" });
  const shop = new Router({ prefix: "shop." });
  const orders = new Router({ prefix: "orders." });
  shop.include(orders);
  const created = orders.subscriber("created", { schema: Order, deadLetter: "shop.orders.failed" });
  created.handle(function refund() {}, { filter: (m) => m.headers.kind === "refund" });
  created.handle(() => {});
  orders.publisher("audited", {
    schema: Order,
    headers: { "x-source": "shop" },
    description: "Audit trail.",
  });
  local.include(shop);
  local.subscriber("rows", { batch: 50, schema: type("number") }).handle(() => {});
  local.subscriber("opaque", { schema: opaque }).handle(() => {});
  const remote = nats({ servers: "nats://nats.internal:4222", logLevel: "error" });
  remote.subscriber("orders.{region}", { schema: Order }).publisher("invoices").handle(() => ({ ok: true }));
  return new App([local, remote]);
}

/** Every app of this file, by name. */
export const APPS: Readonly<Record<string, () => App>> = {
  kafka: kafkaApp,
  rabbitmq: rabbitmqApp,
  nats: natsApp,
  redis: redisApp,
  mqtt: mqttApp,
  sqs: sqsApp,
  features: featuresApp,
};
