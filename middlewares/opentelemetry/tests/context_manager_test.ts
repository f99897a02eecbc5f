// With a context manager registered (as the OpenTelemetry Node SDK does), the process span is the active one
// while the handler runs: publishes through the broker itself continue the trace, and so do the spans of the
// handler's own instrumented calls.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { context } from "@opentelemetry/api";
import { AsyncLocalStorageContextManager } from "@opentelemetry/context-async-hooks";
import { memory, silentLogger } from "@sluice/core";
import { testBroker } from "@sluice/core/testing";
import { telemetryMiddleware } from "@sluice/opentelemetry";
import { only, parentOf, telemetry } from "./_telemetry.ts";

describe("opentelemetry middleware with a context manager", () => {
  before(() => void context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable()));
  after(() => context.disable());

  it("continues the trace in the handler's broker.publish and in its own spans", async () => {
    const otel = telemetry();
    const tracer = otel.tracerProvider.getTracer("app");
    const broker = memory({ logger: silentLogger, middlewares: [telemetryMiddleware(otel)] });
    broker.subscriber("orders").handle(async (order) => {
      await tracer.startActiveSpan("reserve stock", async (span) => {
        await new Promise((resolve) => setTimeout(resolve, 1));
        span.end();
      });
      await broker.publish(order, "invoices"); // not ctx.publish: the active context carries the trace
    });
    broker.subscriber("invoices").handle(() => {});
    await using br = await testBroker(broker);
    await tracer.startActiveSpan("checkout", async (span) => {
      await br.publish({ id: 1 }, "orders");
      span.end();
    });
    await br.settled();
    const spans = otel.spans();
    const process = only(spans, "process orders");
    assert.equal(parentOf(only(spans, "publish orders")), only(spans, "checkout").spanContext().spanId);
    assert.equal(parentOf(only(spans, "reserve stock")), process.spanContext().spanId);
    assert.equal(parentOf(only(spans, "publish invoices")), process.spanContext().spanId);
    assert.equal(new Set(spans.map((s) => s.spanContext().traceId)).size, 1);
  });
});
