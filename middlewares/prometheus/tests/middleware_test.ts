import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { memory } from "@sluice/core";
import { testBroker } from "@sluice/core/testing";
import { prometheusMiddleware, Registry } from "@sluice/prometheus";
import { nats } from "@sluice/nats";
import { rabbitmq } from "@sluice/rabbitmq";
import { redis } from "@sluice/redis";
import { exerciseEveryStatus, samples } from "./_app.ts";

const labels = (handler: string) => `app_name="shop",broker="memory",handler="${handler}"`;

describe("prometheus middleware", () => {
  it("counts received and processed messages by status, with FastStream's names and labels", async () => {
    const got = samples((await exerciseEveryStatus()).text);
    const processed = (handler: string, status: string) =>
      got.get(`faststream_received_processed_messages_total{${labels(handler)},status="${status}"}`);
    assert.equal(processed("orders", "acked"), 1);
    assert.equal(processed("audit", "acked"), 1);
    assert.equal(processed("payments", "error"), 1);
    assert.equal(processed("returns", "nacked"), 1);
    assert.equal(processed("returns", "acked"), 1); // the redelivery
    assert.equal(processed("spam", "rejected"), 1);
    assert.equal(processed("rows", "error"), 1);
    assert.equal(processed("rows", "acked"), 2);
    assert.equal(got.get(`faststream_received_messages_total{${labels("returns")}}`), 2);
    assert.equal(got.get(`faststream_received_messages_total{${labels("rows")}}`), 3);
    for (const handler of ["orders", "payments", "returns", "spam", "rows", "prices"]) {
      assert.equal(got.get(`faststream_received_messages_in_process{${labels(handler)}}`), 0, handler);
    }
  });

  it("counts exceptions by class name, a batch failure by its cause", async () => {
    const got = samples((await exerciseEveryStatus()).text);
    const exceptions = (handler: string, type: string) =>
      got.get(
        `faststream_received_processed_messages_exceptions_total{${
          labels(handler)
        },exception_type="${type}"}`,
      );
    assert.equal(exceptions("payments", "CardDeclined"), 1);
    assert.equal(exceptions("rows", "RangeError"), 1);
  });

  it("measures sizes and durations: one observation per message, or per batch", async () => {
    const got = samples((await exerciseEveryStatus()).text);
    const size = (handler: string, what: string) =>
      got.get(`faststream_received_messages_size_bytes_${what}{${labels(handler)}}`);
    assert.equal(size("orders", "count"), 1);
    assert.equal(size("orders", "sum"), '{"id":1}'.length);
    assert.equal(size("rows", "count"), 1); // one batch of three
    assert.equal(size("rows", "sum"), 3);
    assert.equal(got.get(`faststream_received_messages_size_bytes_bucket{${labels("orders")},le="16.0"}`), 1);
    assert.equal(
      got.get(`faststream_received_processed_messages_duration_seconds_count{${labels("returns")}}`),
      2,
    );
  });

  it("counts publishes by destination and status, and leaves replies out", async () => {
    const { text } = await exerciseEveryStatus();
    const got = samples(text);
    const published = (destination: string, status: string) =>
      got.get(
        `faststream_published_messages_total{app_name="shop",broker="memory",destination="${destination}",status="${status}"}`,
      );
    assert.equal(published("orders", "success"), 1);
    assert.equal(published("orders", "error"), 1);
    assert.equal(published("audit", "success"), 1);
    assert.equal(published("prices", "success"), 1); // the request itself
    assert.equal(published("rows", "success"), 3); // a native batch publish counts each of its messages
    assert.ok(!text.includes('destination="sluice-reply-'), "a reply is not a publish");
    assert.equal(
      got.get(
        `faststream_published_messages_exceptions_total{app_name="shop",broker="memory",destination="orders",exception_type="OptionError"}`,
      ),
      1,
    );
    assert.equal(
      got.get(
        `faststream_published_messages_duration_seconds_count{app_name="shop",broker="memory",destination="orders"}`,
      ),
      2,
    );
  });

  it("renames every metric with `prefix`, adds custom labels, and can label by subscriber template", async () => {
    const metrics = prometheusMiddleware({
      prefix: "sluice",
      customLabels: { region: "eu" },
      handlerLabel: "subscriber",
    });
    const broker = memory({ logLevel: "error", middlewares: [metrics] });
    broker.subscriber("logs.{level}").handle(() => {});
    await using br = await testBroker(broker);
    await br.publish("disk full", "logs.error");
    await br.publish("hello", "logs.info");
    await br.settled();
    const got = samples(metrics.registry.metrics());
    assert.equal(
      got.get(
        'sluice_received_messages_total{app_name="sluice",broker="memory",handler="logs.{level}",region="eu"}',
      ),
      2,
    );
    assert.ok([...got.keys()].every((name) => name.startsWith("sluice_")));
  });

  it("shares one registry between the middlewares of several brokers", async () => {
    const registry = new Registry();
    const a = memory({ name: "a", logLevel: "error", middlewares: [prometheusMiddleware({ registry })] });
    const b = memory({ name: "b", logLevel: "error", middlewares: [prometheusMiddleware({ registry })] });
    a.subscriber("x").handle(() => {});
    b.subscriber("x").handle(() => {});
    await using ta = await testBroker(a);
    await using tb = await testBroker(b);
    await ta.publish(1, "x");
    await tb.publish(1, "x");
    await ta.settled();
    await tb.settled();
    const got = samples(registry.metrics());
    assert.equal(
      got.get('faststream_received_messages_total{app_name="faststream",broker="a",handler="x"}'),
      1,
    );
    assert.equal(
      got.get('faststream_received_messages_total{app_name="faststream",broker="b",handler="x"}'),
      1,
    );
  });
});

describe("prometheus middleware on RabbitMQ", () => {
  it("labels a handler and a publish naming its exchange `exchange.routing_key`, as FastStream does", async () => {
    const metrics = prometheusMiddleware({ appName: "shop" });
    const broker = rabbitmq({ logLevel: "error", middlewares: [metrics] });
    broker.subscriber("orders.created").handle(() => {});
    broker.subscriber("refunds", { exchange: "" }).handle(() => {});
    await using br = await testBroker(broker);
    await br.publish({ id: 1 }, "orders.created");
    await br.publish({ id: 2 }, "refunds", { exchange: "" });
    await br.settled();
    const got = samples(metrics.registry.metrics());
    const rabbit = (label: string, value: string) => `app_name="shop",broker="rabbitmq",${label}="${value}"`;
    assert.equal(
      got.get(`faststream_received_messages_total{${rabbit("handler", "amq.topic.orders.created")}}`),
      1,
    );
    assert.equal(got.get(`faststream_received_messages_total{${rabbit("handler", "default.refunds")}}`), 1);
    // The broker's default exchange is not among the publish's options: the routing key alone.
    assert.equal(
      got.get(
        `faststream_published_messages_total{${rabbit("destination", "orders.created")},status="success"}`,
      ),
      1,
    );
    assert.equal(
      got.get(
        `faststream_published_messages_total{${rabbit("destination", "default.refunds")},status="success"}`,
      ),
      1,
    );
  });

  it("counts the messages a subscriber dropped past its bounds, by channel or by subscriber", async () => {
    // Two handlers of the same flood, each blocked on its first message with room for two more to wait:
    // three of six dropped, on Redis labelled by the channel, on NATS by the subscriber's template.
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const byChannel = prometheusMiddleware({ appName: "shop" });
    const onRedis = redis({ logLevel: "error", middlewares: [byChannel] });
    onRedis.subscriber("flood.{n}", { pubsub: { maxPending: 2 } }).handle(() => gate);
    const bySubscriber = prometheusMiddleware({ appName: "shop", handlerLabel: "subscriber" });
    const onNats = nats({ logLevel: "error", middlewares: [bySubscriber] });
    onNats.subscriber("flood.{n}", { maxPending: 2 }).handle(() => gate);
    await using redisBroker = await testBroker(onRedis);
    await using natsBroker = await testBroker(onNats);
    for (let i = 0; i < 6; i++) {
      await redisBroker.publish(i, "flood.a");
      await natsBroker.publish(i, "flood.a");
    }
    const dropped = (middleware: typeof byChannel, broker: string, handler: string) =>
      samples(middleware.registry.metrics()).get(
        `faststream_received_dropped_messages_total{app_name="shop",broker="${broker}",handler="${handler}"}`,
      );
    assert.equal(dropped(byChannel, "redis", "flood.a"), 3);
    assert.equal(dropped(bySubscriber, "nats", "flood.{n}"), 3);
    // Dropped messages were never received: only the three a handler took or that waited count as such.
    release();
    await redisBroker.settled();
    await natsBroker.settled();
    assert.equal(
      samples(byChannel.registry.metrics()).get(
        `faststream_received_messages_total{app_name="shop",broker="redis",handler="flood.a"}`,
      ),
      3,
    );
  });
});
