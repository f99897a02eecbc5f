// Each plugin's AsyncAPI bindings, from the options of the apps in _apps.ts.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { asyncapi, type AsyncApiDocument } from "@sluice/core/asyncapi";
import { kafkaApp, mqttApp, natsApp, rabbitmqApp, redisApp, sqsApp } from "./_apps.ts";

function message(document: AsyncApiDocument, id: string): Record<string, unknown> {
  return document.components!.messages![id]!.bindings ?? {};
}

describe("AsyncAPI bindings", () => {
  it("kafka: topic settings on the channel, group and client id on the operation, a publisher's key", () => {
    const document = asyncapi(kafkaApp());
    assert.equal(document.servers!.kafka!.protocol, "kafka-secure");
    assert.equal(document.servers!.kafka!.host, "kafka-1.internal:9092,kafka-2.internal:9092");
    assert.deepEqual(document.channels!.orders!.bindings, {
      kafka: {
        partitions: 12,
        replicas: 3,
        topicConfiguration: { "retention.ms": 604800000, "cleanup.policy": ["compact", "delete"] },
        bindingVersion: "0.5.0",
      },
    });
    assert.deepEqual(document.operations!["orders.receive.billing"]!.bindings, {
      kafka: {
        groupId: { type: "string", enum: ["billing"] },
        clientId: { type: "string", enum: ["billing"] },
        bindingVersion: "0.5.0",
      },
    });
    assert.deepEqual(message(document, "Invoices"), {
      kafka: { key: { type: "string", enum: ["invoice"] }, bindingVersion: "0.5.0" },
    });
  });

  it("amqp: the exchange or the queue of each channel, the queue a subscriber consumes, delivery settings", () => {
    const document = asyncapi(rabbitmqApp());
    assert.deepEqual(document.servers!.rabbitmq, {
      host: "rabbit.internal:5672",
      protocol: "amqp",
      protocolVersion: "0.9.1",
      pathname: "/shop",
    });
    assert.deepEqual(document.channels!["orders.region"]!.bindings, {
      amqp: {
        is: "routingKey",
        exchange: { name: "shop", type: "topic", durable: true, autoDelete: false, vhost: "shop" },
        bindingVersion: "0.3.0",
      },
    });
    assert.deepEqual(document.operations!["orders.region.receive.billing"]!.bindings, {
      amqp: {
        "x-queue": { name: "billing", durable: true, exclusive: false, autoDelete: false, vhost: "shop" },
        ack: true,
        bindingVersion: "0.3.0",
      },
    });
    assert.equal(
      (document.channels!.audit!.bindings!.amqp as { exchange: { type: string } }).exchange.type,
      "fanout",
    );
    // The default exchange: the channel is the queue, for the subscriber and the publisher alike.
    assert.deepEqual(document.channels!.tasks!.bindings, {
      amqp: {
        is: "queue",
        queue: { name: "tasks", vhost: "shop", durable: true, exclusive: false, autoDelete: false },
        bindingVersion: "0.3.0",
      },
    });
    assert.deepEqual(document.operations!["orders.eu.send"]!.bindings, {
      amqp: { deliveryMode: 2, priority: 5, expiration: 60000, timestamp: true, bindingVersion: "0.3.0" },
    });
    assert.deepEqual(message(document, "OrdersEu"), {
      amqp: { messageType: "order", bindingVersion: "0.3.0" },
    });
  });

  it("nats: queue groups, and the JetStream stream or key-value bucket a subscriber consumes", () => {
    const document = asyncapi(natsApp());
    assert.equal(document.servers!.nats!.host, "nats-1.internal:4222,nats-2.internal:4222");
    assert.deepEqual(document.operations!["logs.level.receive.printers"]!.bindings, {
      nats: { queue: "printers", bindingVersion: "0.1.0" },
    });
    assert.deepEqual(document.operations!["orders.created.receive.billing"]!.bindings, {
      nats: { queue: "billing", "x-stream": "ORDERS", bindingVersion: "0.1.0" },
    });
    assert.deepEqual(document.operations!["profile.receive"]!.bindings, {
      nats: { "x-kv-bucket": "profiles", bindingVersion: "0.1.0" },
    });
  });

  it("mqtt: the protocol version, client id, keep-alive and will, QoS and retain", () => {
    const document = asyncapi(mqttApp());
    assert.deepEqual(document.servers!.mqtt, {
      host: "mqtt.internal:8883",
      protocol: "secure-mqtt",
      protocolVersion: "5",
      bindings: {
        mqtt: {
          clientId: "thermostat",
          keepAlive: 30,
          lastWill: { topic: "status/thermostat", qos: 1, retain: true },
          bindingVersion: "0.2.0",
        },
      },
    });
    assert.deepEqual(document.operations!["sensors_room_temperature.receive.thermostats"]!.bindings, {
      mqtt: { qos: 2, bindingVersion: "0.2.0" },
    });
    assert.deepEqual(document.operations!["alerts_heating.send"]!.bindings, {
      mqtt: { qos: 0, retain: true, messageExpiryInterval: 3600, bindingVersion: "0.2.0" },
    });
  });

  it("sqs: each channel's queue, FIFO or not, with its redrive policy and dead-letter queue", () => {
    const document = asyncapi(sqsApp());
    assert.deepEqual(document.servers!.sqs, { host: "sqs.internal:9324", protocol: "sqs" });
    assert.deepEqual(document.channels!["orders.fifo"]!.bindings, {
      sqs: {
        queue: {
          name: "orders.fifo",
          fifoQueue: true,
          redrivePolicy: { deadLetterQueue: { name: "orders-dead.fifo" }, maxReceiveCount: 5 },
          visibilityTimeout: 60,
        },
        deadLetterQueue: { name: "orders-dead.fifo", fifoQueue: true, messageRetentionPeriod: 1209600 },
        bindingVersion: "0.2.0",
      },
    });
    assert.deepEqual(document.channels!.emails!.bindings, {
      sqs: { queue: { name: "emails", fifoQueue: false, deliveryDelay: 5 }, bindingVersion: "0.2.0" },
    });
  });

  it("redis: the kind of each channel, a stream's group and consumer, trimming, the envelope", () => {
    const document = asyncapi(redisApp());
    assert.deepEqual(document.servers!.redis, {
      host: "cache.internal:6379",
      protocol: "redis",
      pathname: "/2",
      bindings: { redis: { envelope: "binary", bindingVersion: "custom" } },
    });
    assert.deepEqual(document.channels!.orders!.bindings, {
      redis: { kind: "stream", bindingVersion: "custom" },
    });
    assert.deepEqual(document.channels!["events.kind"]!.bindings, {
      redis: { kind: "pubsub", pattern: true, bindingVersion: "custom" },
    });
    assert.deepEqual(document.channels!.jobs!.bindings, {
      redis: { kind: "list", bindingVersion: "custom" },
    });
    assert.deepEqual(document.operations!["orders.receive"]!.bindings, {
      redis: { group: "billing", consumer: "billing-1", bindingVersion: "custom" },
    });
    assert.deepEqual(document.operations!["orders.send"]!.bindings, {
      redis: { maxLen: 10000, approximate: true, bindingVersion: "custom" },
    });
  });
});
