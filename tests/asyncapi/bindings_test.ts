// Each plugin's AsyncAPI bindings, from the options of the apps in _apps.ts.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { asyncapi, type AsyncApiDocument } from "@sluice/core/asyncapi";
import { kafkaApp } from "./_apps.ts";

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
});
