import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { SpanKind, SpanStatusCode } from "@opentelemetry/api";
import { createLogger, memory, silentLogger } from "@sluice/core";
import { captureLogs, testBroker } from "@sluice/core/testing";
import { nats } from "@sluice/nats";
import { baggageOf, setBaggage, telemetryMiddleware } from "@sluice/opentelemetry";
import { only, parentOf, telemetry } from "./_telemetry.ts";

describe("opentelemetry middleware", () => {
  it("gives a request/reply chain over two hops one trace, each span the child of the one before", async () => {
    const otel = telemetry();
    const broker = memory({ logger: silentLogger, middlewares: [telemetryMiddleware(otel)] });
    broker.subscriber("prices").handle((item) => ({ item, cents: 250 }));
    broker.subscriber("gateway").handle(async (item, ctx) => {
      const price = await ctx.request(item, "prices", { timeout: 1000 });
      return { quote: price.body };
    });
    await using br = await testBroker(broker);
    const reply = await br.request("tea", "gateway", { timeout: 1000 });
    await br.settled();
    assert.deepEqual(reply.body, { quote: { item: "tea", cents: 250 } });

    const spans = otel.spans();
    const requestGateway = only(spans, "request gateway");
    const processGateway = only(spans, "process gateway");
    const requestPrices = only(spans, "request prices");
    const processPrices = only(spans, "process prices");
    const replies = spans.filter((s) => s.name === "reply");
    assert.equal(spans.length, 6, spans.map((s) => s.name).join(", "));
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
    assert.deepEqual(
      [requestGateway, processGateway, requestPrices, processPrices, ...replies].map((s) => s.kind),
      [
        SpanKind.PRODUCER,
        SpanKind.CONSUMER,
        SpanKind.PRODUCER,
        SpanKind.CONSUMER,
        SpanKind.PRODUCER,
        SpanKind.PRODUCER,
      ],
    );
  });

  it("names and attributes spans per the messaging conventions, with FastStream's older names beside", async () => {
    const otel = telemetry();
    const broker = memory({ logger: silentLogger, middlewares: [telemetryMiddleware(otel)] });
    broker.subscriber("orders.{region}").publisher("invoices").handle((order) => order);
    broker.subscriber("invoices").handle(() => {});
    await using br = await testBroker(broker);
    await br.publish({ id: 1 }, "orders.eu", { messageId: "m-1", correlationId: "c-1" });
    await br.settled();
    const spans = otel.spans();
    const publish = only(spans, "publish orders.eu");
    const process = only(spans, "process orders.{region}");
    const forward = only(spans, "publish invoices");
    assert.deepEqual(publish.attributes, {
      "messaging.system": "memory",
      "messaging.destination.name": "orders.eu",
      "messaging.operation.type": "send",
      "messaging.operation.name": "publish",
      "messaging.operation": "publish",
      "messaging.message.id": "m-1",
      "messaging.message.conversation_id": "c-1",
    });
    assert.deepEqual(process.attributes, {
      "messaging.system": "memory",
      "messaging.destination.name": "orders.eu",
      "messaging.destination.template": "orders.{region}",
      "messaging.operation.type": "process",
      "messaging.operation.name": "process",
      "messaging.operation": "process",
      "messaging.message.id": "m-1",
      "messaging.message.conversation_id": "c-1",
      "messaging.message.body.size": '{"id":1}'.length,
      "messaging.message.payload_size_bytes": '{"id":1}'.length,
      "messaging.destination_publish.name": "orders.eu",
    });
    assert.equal(parentOf(forward), process.spanContext().spanId, "the result continues the trace");
    assert.equal(forward.attributes["messaging.message.conversation_id"], "c-1");
    assert.equal(only(spans, "process invoices").spanContext().traceId, publish.spanContext().traceId);
  });

  it("records a handler's error on its span, with the status and error.type, and in the duration's attributes", async () => {
    class CardDeclined extends Error {}
    const otel = telemetry();
    const broker = memory({ logger: silentLogger, middlewares: [telemetryMiddleware(otel)] });
    broker.subscriber("payments").handle(() => {
      throw new CardDeclined("card declined");
    });
    await using br = await testBroker(broker);
    await br.publish({ amount: 10 }, "payments");
    await br.settled();
    const span = only(otel.spans(), "process payments");
    assert.equal(span.status.code, SpanStatusCode.ERROR);
    assert.equal(span.status.message, "Error: card declined");
    assert.equal(span.attributes["error.type"], "CardDeclined");
    assert.equal(span.events[0]?.name, "exception");
    const durations = await otel.metric("messaging.process.duration");
    assert.deepEqual(durations.map((p) => p.attributes), [{
      "messaging.system": "memory",
      "messaging.destination.name": "payments",
      "messaging.destination_publish.name": "payments",
      "error.type": "CardDeclined",
    }]);
  });

  it("records publish and process durations and counts messages, with FastStream's metric names", async () => {
    const otel = telemetry();
    const broker = memory({ logger: silentLogger, middlewares: [telemetryMiddleware(otel)] });
    broker.subscriber("orders").handle(() => {});
    await using br = await testBroker(broker);
    for (let i = 0; i < 3; i++) await br.publish(i, "orders");
    await br.settled();
    const publishAttributes = { "messaging.system": "memory", "messaging.destination.name": "orders" };
    const processAttributes = { ...publishAttributes, "messaging.destination_publish.name": "orders" };
    const publishDuration = await otel.metric("messaging.publish.duration");
    assert.deepEqual(publishDuration.map((p) => p.attributes), [publishAttributes]);
    assert.equal((publishDuration[0]!.value as { count: number }).count, 3);
    const processDuration = await otel.metric("messaging.process.duration");
    assert.equal((processDuration[0]!.value as { count: number }).count, 3);
    assert.deepEqual(await otel.metric("messaging.publish.messages"), [{
      attributes: publishAttributes,
      value: 3,
    }]);
    assert.deepEqual(await otel.metric("messaging.process.messages"), [{
      attributes: processAttributes,
      value: 3,
    }]);
  });

  it("gives a batch one span, linked to each message's producer", async () => {
    const otel = telemetry();
    const broker = memory({ logger: silentLogger, middlewares: [telemetryMiddleware(otel)] });
    broker.subscriber("rows", { batch: { size: 3, timeout: 20 } }).handle(() => {});
    await using br = await testBroker(broker);
    for (const row of [1, 2, 3]) await br.publish(row, "rows");
    await br.settled();
    const spans = otel.spans();
    const batch = only(spans, "process rows");
    const producers = spans.filter((s) => s.name === "publish rows").map((s) => s.spanContext().spanId);
    assert.deepEqual(batch.links.map((l) => l.context.spanId).sort(), producers.sort());
    assert.equal(batch.attributes["messaging.batch.message_count"], 3);
    assert.equal(parentOf(batch), undefined);
    assert.deepEqual((await otel.metric("messaging.process.messages"))[0]?.value, 3);
  });

  it("gives each message of a native batch publish its own span and trace headers, sent in one batch", async () => {
    const otel = telemetry();
    const broker = memory({ logger: silentLogger, middlewares: [telemetryMiddleware(otel)] });
    const parents: (string | undefined)[] = [];
    broker.subscriber("rows").handle((_row, ctx) => void parents.push(ctx.message.headers.traceparent));
    const sent: number[] = [];
    await using br = await testBroker(broker);
    const publishBatch = broker.driver.publishBatch!.bind(broker.driver);
    broker.driver.publishBatch = (channel, messages, options) => {
      sent.push(messages.length);
      return publishBatch(channel, messages, options);
    };
    await br.broker.publishBatch([1, 2, 3], "rows");
    await br.settled();
    assert.deepEqual(sent, [3], "one batch of three reached the driver");
    const publishes = otel.spans().filter((s) => s.name === "publish rows");
    assert.equal(publishes.length, 3);
    assert.deepEqual(
      parents.sort(),
      publishes.map((s) => `00-${s.spanContext().traceId}-${s.spanContext().spanId}-01`).sort(),
    );
    const processes = otel.spans().filter((s) => s.name === "process rows");
    assert.deepEqual(
      processes.map(parentOf).sort(),
      publishes.map((s) => s.spanContext().spanId).sort(),
      "each message's processing continues its own publish",
    );
  });

  it("puts the trace and span ids on every log line about the message", async () => {
    const otel = telemetry();
    const logs = captureLogs();
    const broker = memory({
      logger: createLogger({ sink: logs.sink }),
      middlewares: [telemetryMiddleware(otel)],
    });
    broker.subscriber("orders").handle((_order, ctx) => {
      ctx.logger.info("taking the order");
      throw new Error("out of stock");
    });
    await using br = await testBroker(broker);
    await br.publish({ id: 1 }, "orders");
    await br.settled();
    const span = only(otel.spans(), "process orders");
    const lines = [logs.find("info", "taking the order")[0], logs.find("error", "out of stock")[0]];
    for (const line of lines) {
      assert.equal(line?.fields.traceId, span.spanContext().traceId);
      assert.equal(line?.fields.spanId, span.spanContext().spanId);
    }
  });
});

describe("opentelemetry headers, as FastStream writes them", () => {
  // Written by Python's TraceContextTextMapPropagator and W3CBaggagePropagator (opentelemetry 1.45), the
  // propagators FastStream 0.7's TelemetryMiddleware uses: a space in baggage is written `+`.
  const fromPython = {
    traceparent: "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
    baggage: "tenant=acme+corp,user.id=42%3Da%2Cb%3Bc",
  };

  it("continue a trace a FastStream service started, and carry its baggage on", async () => {
    const otel = telemetry();
    const broker = memory({ logger: silentLogger, middlewares: [telemetryMiddleware(otel)] });
    const seen: Record<string, string>[] = [];
    broker.subscriber("orders").handle(async (order, ctx) => {
      assert.equal(baggageOf(ctx)?.getEntry("tenant")?.value, "acme corp");
      await ctx.publish(order, "invoices");
    });
    broker.subscriber("invoices").handle((_invoice, ctx) => void seen.push({ ...ctx.message.headers }));
    await broker.start();
    try {
      // Straight onto the broker, as the Python service's client puts it there: no Sluice middleware on the way.
      const body = new TextEncoder().encode('{"id":1}');
      await broker.driver.publish(
        "orders",
        { body, headers: fromPython, contentType: "application/json" },
        {},
      );
      while (seen.length === 0) await new Promise((resolve) => setTimeout(resolve, 1));
    } finally {
      await broker.close();
    }
    const process = only(otel.spans(), "process orders");
    assert.equal(process.spanContext().traceId, "4bf92f3577b34da6a3ce929d0e0e4736");
    assert.equal(parentOf(process), "00f067aa0ba902b7");
    const forwarded = only(otel.spans(), "publish invoices");
    assert.equal(
      seen[0]?.traceparent,
      `00-4bf92f3577b34da6a3ce929d0e0e4736-${forwarded.spanContext().spanId}-01`,
    );
    // Python's W3CBaggagePropagator reads this back as {'tenant': 'acme corp', 'user.id': '42=a,b;c'}.
    assert.equal(seen[0]?.baggage, "tenant=acme%20corp,user.id=42%3Da%2Cb%3Bc");
  });

  it("continue, on a publish outside any handler and span, the trace its headers already carry", async () => {
    const otel = telemetry();
    const broker = memory({ logger: silentLogger, middlewares: [telemetryMiddleware(otel)] });
    broker.subscriber("orders").handle(() => {});
    await using br = await testBroker(broker);
    await br.publish({ id: 1 }, "orders", { headers: fromPython });
    await br.settled();
    const publish = only(otel.spans(), "publish orders");
    assert.equal(publish.spanContext().traceId, "4bf92f3577b34da6a3ce929d0e0e4736");
    assert.equal(parentOf(publish), "00f067aa0ba902b7");
    assert.equal(parentOf(only(otel.spans(), "process orders")), publish.spanContext().spanId);
  });

  it("let a handler change the baggage its publishes carry", async () => {
    const otel = telemetry();
    const broker = memory({ logger: silentLogger, middlewares: [telemetryMiddleware(otel)] });
    const seen: string[] = [];
    broker.subscriber("orders").handle(async (order, ctx) => {
      setBaggage(ctx, baggageOf(ctx)!.setEntry("step", { value: "billing" }));
      await ctx.publish(order, "invoices");
    });
    broker.subscriber("invoices").handle((_invoice, ctx) =>
      void seen.push(ctx.message.headers.baggage ?? "")
    );
    await using br = await testBroker(broker);
    await br.publish({ id: 1 }, "orders", { headers: { baggage: "tenant=acme" } });
    await br.settled();
    assert.equal(seen[0], "tenant=acme,step=billing");
  });

  it("pass an incoming trace and baggage on unchanged where no tracer provider is registered", async () => {
    const broker = memory({ logger: silentLogger, middlewares: [telemetryMiddleware()] });
    const seen: string[] = [];
    broker.subscriber("orders").handle((order, ctx) => ctx.publish(order, "invoices"));
    broker.subscriber("invoices").handle((_invoice, { message: { headers } }) =>
      void seen.push(`${headers.traceparent ?? "-"} ${headers.baggage ?? "-"}`)
    );
    await using br = await testBroker(broker);
    await br.publish({ id: 1 }, "orders", { headers: { traceparent: fromPython.traceparent } });
    await br.publish({ id: 2 }, "orders");
    await br.publish({ id: 3 }, "orders", { headers: { baggage: "tenant=acme" } });
    await br.settled();
    assert.deepEqual(seen, [`${fromPython.traceparent} -`, "- -", "- tenant=acme"], "no trace made up");
  });

  it("counts the messages a subscriber dropped past its bounds, with or without the message counters", async () => {
    const otel = telemetry();
    const broker = nats({
      logLevel: "error",
      middlewares: [telemetryMiddleware({ ...otel, messageCounters: false })],
    });
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    // One message in the handler and two waiting: three of six dropped.
    broker.subscriber("flood.{n}", { maxPending: 2 }).handle(() => gate);
    await using br = await testBroker(broker);
    for (let i = 0; i < 6; i++) await br.publish(i, "flood.a");
    assert.deepEqual(await otel.metric("sluice.messaging.dropped.messages"), [{
      attributes: {
        "messaging.system": "nats",
        "messaging.destination.name": "flood.a",
        "messaging.destination.template": "flood.{n}",
      },
      value: 3,
    }]);
    release();
    await br.settled();
    assert.deepEqual(await otel.metric("messaging.process.messages"), []);
  });
});
