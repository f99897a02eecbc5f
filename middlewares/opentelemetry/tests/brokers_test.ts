// The OpenTelemetry middleware on every real broker: a request/reply chain over two hops (a requester asks
// `gateway`, whose handler asks `prices`) gives one trace whose spans are parented one after the other, with
// the ids the producer gave and the broker's own attributes (Kafka partition, offset and key; RabbitMQ routing
// key, exchange and delivery tag). Every plugin answers requests (MQTT on protocol 5, SQS over the core's
// reply queue), so the chain is the same on all six.
import { after, describe, it } from "node:test";
import assert from "node:assert/strict";
import { SpanKind } from "@opentelemetry/api";
import type { ReadableSpan } from "@opentelemetry/sdk-trace-base";
import type { Broker, Middleware } from "@sluice/core";
import { testBroker } from "@sluice/core/testing";
import { telemetryMiddleware } from "@sluice/opentelemetry";
import { kafka } from "@sluice/kafka";
import { rabbitmq } from "@sluice/rabbitmq";
import { nats } from "@sluice/nats";
import { redis } from "@sluice/redis";
import { mqtt } from "@sluice/mqtt";
import { sqs } from "@sluice/sqs";
import { type BrokerName, realBroker } from "../../../tests/_support/brokers.ts";
import { only, parentOf, telemetry } from "./_telemetry.ts";

interface Target {
  readonly name: BrokerName;
  /** `messaging.system`. */
  readonly system: string;
  readonly make: (url: string, middlewares: Middleware[]) => Broker;
  /** Options of the inner request, e.g. a Kafka key. */
  readonly requestOptions?: Record<string, unknown>;
  /** Checks the broker's own attributes of the spans. */
  readonly check?: (spans: Chain, natives: Natives) => void;
}

/** The client library's own messages the two handlers got. */
interface Natives {
  gateway?: unknown;
  prices?: unknown;
}

interface Chain {
  readonly requestGateway: ReadableSpan;
  readonly processGateway: ReadableSpan;
  readonly requestPrices: ReadableSpan;
  readonly processPrices: ReadableSpan;
}

const logLevel = "error" as const;
const targets: Target[] = [
  {
    name: "kafka",
    system: "kafka",
    make: (url, middlewares) => kafka({ brokers: url, logLevel, middlewares }),
    requestOptions: { key: "tea" },
    check({ requestPrices, processPrices, processGateway }, natives) {
      assert.equal(requestPrices.attributes["messaging.kafka.message.key"], "tea");
      assert.equal(processPrices.attributes["messaging.kafka.message.key"], "tea");
      const consumed: [ReadableSpan, unknown][] = [[processGateway, natives.gateway], [
        processPrices,
        natives.prices,
      ]];
      for (const [span, native] of consumed) {
        const record = native as { partition: number; offset: string };
        assert.equal(span.attributes["messaging.kafka.destination.partition"], record.partition, span.name);
        // Each topic is new: its only record is the first of its partition.
        assert.equal(span.attributes["messaging.kafka.message.offset"], 0, span.name);
        assert.equal(record.offset, "0");
      }
    },
  },
  {
    name: "amqp",
    system: "rabbitmq",
    make: (url, middlewares) => rabbitmq({ url, logLevel, middlewares }),
    check(chain) {
      for (const span of Object.values(chain)) {
        assert.equal(
          span.attributes["messaging.rabbitmq.destination.routing_key"],
          span.attributes["messaging.destination.name"],
          span.name,
        );
      }
      for (const span of [chain.processGateway, chain.processPrices]) {
        assert.equal(
          span.attributes["messaging.destination_publish.name"],
          "amq.topic",
          "the plugin's exchange",
        );
        assert.equal(typeof span.attributes["messaging.rabbitmq.message.delivery_tag"], "number");
      }
    },
  },
  { name: "nats", system: "nats", make: (url, middlewares) => nats({ servers: url, logLevel, middlewares }) },
  { name: "redis", system: "redis", make: (url, middlewares) => redis({ url, logLevel, middlewares }) },
  {
    name: "mqtt",
    system: "mqtt",
    make: (url, middlewares) => mqtt({ url, protocol: "5", logLevel, middlewares }),
  },
  { name: "sqs", system: "aws_sqs", make: (url, middlewares) => sqs({ url, logLevel, middlewares }) },
];

/** Waits until `done()` holds, polling; fails after `ms` saying what it waited for. */
async function until(done: () => boolean, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!done()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

for (const target of targets) {
  const server = await realBroker(target.name);
  describe(
    `opentelemetry on a real ${target.name}`,
    { skip: server ? false : `no real ${target.name}` },
    () => {
      after(() => server!.stop());

      it(
        "gives a request/reply chain over two hops one trace, parented hop by hop, with the broker's attributes",
        {
          timeout: 120_000,
        },
        async () => {
          const run = `otel-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 6)}`;
          const gateway = `${run}-gateway`;
          const prices = `${run}-prices`;
          const otel = telemetry();
          const broker = target.make(server!.url, [telemetryMiddleware(otel)]);
          const natives: Natives = {};
          broker.subscriber(prices).handle((item, ctx) => {
            natives.prices = ctx.message.native;
            return { item, cents: 250 };
          });
          broker.subscriber(gateway).handle(async (item, ctx) => {
            natives.gateway = ctx.message.native;
            const price = await ctx.request(item, prices, { timeout: 30_000, ...target.requestOptions });
            return { quote: price.body };
          });
          await using br = await testBroker(broker, { real: true });
          const reply = await br.request("tea", gateway, { timeout: 60_000, messageId: `${run}-m1` });
          assert.deepEqual(reply.body, { quote: { item: "tea", cents: 250 } });
          await br.settled();
          // Each handler's span ends once its reply is sent, which may be after the requester has the reply.
          await until(() => otel.spans().length >= 6, 10_000, "six spans");

          const spans = otel.spans();
          assert.equal(spans.length, 6, spans.map((s) => s.name).join(", "));
          const chain: Chain = {
            requestGateway: only(spans, `request ${gateway}`),
            processGateway: only(spans, `process ${gateway}`),
            requestPrices: only(spans, `request ${prices}`),
            processPrices: only(spans, `process ${prices}`),
          };
          const { requestGateway, processGateway, requestPrices, processPrices } = chain;
          const replies = spans.filter((s) => s.name === "reply");
          assert.equal(new Set(spans.map((s) => s.spanContext().traceId)).size, 1, "one trace");
          assert.equal(parentOf(requestGateway), undefined, "the first request starts the trace");
          assert.equal(parentOf(processGateway), requestGateway.spanContext().spanId);
          assert.equal(parentOf(requestPrices), processGateway.spanContext().spanId);
          assert.equal(parentOf(processPrices), requestPrices.spanContext().spanId);
          assert.deepEqual(
            replies.map(parentOf).sort(),
            [processPrices.spanContext().spanId, processGateway.spanContext().spanId].sort(),
            "each reply is a child of the processing that sent it",
          );
          for (const span of [requestGateway, requestPrices, ...replies]) {
            assert.equal(span.kind, SpanKind.PRODUCER);
          }
          for (const span of [processGateway, processPrices]) {
            assert.equal(span.kind, SpanKind.CONSUMER);
          }

          for (const span of spans) {
            assert.equal(span.attributes["messaging.system"], target.system, span.name);
          }
          assert.equal(processGateway.attributes["messaging.destination.name"], gateway);
          assert.equal(processPrices.attributes["messaging.destination.name"], prices);
          // The broker carried the producer's ids: the message id, and the correlation id along the chain.
          assert.equal(requestGateway.attributes["messaging.message.id"], `${run}-m1`);
          assert.equal(processGateway.attributes["messaging.message.id"], `${run}-m1`);
          assert.equal(
            processPrices.attributes["messaging.message.id"],
            requestPrices.attributes["messaging.message.id"],
          );
          for (
            const [request, process] of [[requestGateway, processGateway], [requestPrices, processPrices]]
          ) {
            const id = request!.attributes["messaging.message.conversation_id"];
            assert.equal(typeof id, "string", request!.name);
            assert.equal(process!.attributes["messaging.message.conversation_id"], id, process!.name);
          }
          // A string travels as text/plain: three bytes.
          assert.equal(processPrices.attributes["messaging.message.body.size"], 3);
          target.check?.(chain, natives);
        },
      );
    },
  );
}
