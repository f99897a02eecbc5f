// Sluice and Python FastStream on one trace, in memory: FastStream 0.7's TelemetryMiddleware (with its test
// broker and the SDK's in-memory exporter) writes the headers of a message Sluice consumes, and consumes a
// message whose headers Sluice wrote; the spans on both sides share the trace and name the right parent. It
// needs the Python of scripts/python (FastStream 0.7.8 and the OpenTelemetry SDK); without one it skips with a
// loud line. The same across real brokers: faststream_brokers_test.ts.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { memory, silentLogger } from "@sluice/core";
import { testBroker } from "@sluice/core/testing";
import { setBaggage, telemetryMiddleware } from "@sluice/opentelemetry";
import { propagation } from "@opentelemetry/api";
import { only, parentOf, telemetry } from "./_telemetry.ts";
import { faststreamPythonWith } from "../../../tests/_support/python.ts";

const python = faststreamPythonWith(
  ["faststream.opentelemetry", "opentelemetry.sdk.trace.export.in_memory_span_exporter"],
  "FastStream's OpenTelemetry middleware and the OpenTelemetry SDK",
);

// `publish`: FastStream publishes {"id": 1} to "orders" and prints the headers its subscriber got.
// `consume HEADERS`: FastStream's subscriber consumes a message with these headers, as a broker delivers it.
// Both print the headers seen, the baggage FastStream's handler saw, and FastStream's spans.
const PYTHON = `
import asyncio, json, sys
from nats.aio.msg import Msg
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from faststream.nats import NatsBroker, TestNatsBroker
from faststream.nats.annotations import NatsMessage
from faststream.nats.opentelemetry import NatsTelemetryMiddleware
from faststream.opentelemetry import CurrentBaggage

exporter = InMemorySpanExporter()
provider = TracerProvider()
provider.add_span_processor(SimpleSpanProcessor(exporter))
broker = NatsBroker(middlewares=[NatsTelemetryMiddleware(tracer_provider=provider)])
seen = {"headers": {}, "baggage": {}}
subscriber = broker.subscriber("orders")

@subscriber
async def orders(body: dict, message: NatsMessage, baggage: CurrentBaggage):
    seen["headers"].update(message.headers)
    seen["baggage"].update(baggage.get_all())

def spans():
    return [{
        "name": s.name,
        "trace_id": format(s.context.trace_id, "032x"),
        "span_id": format(s.context.span_id, "016x"),
        "parent_id": format(s.parent.span_id, "016x") if s.parent else None,
        "attributes": sorted(s.attributes.keys()),
    } for s in exporter.get_finished_spans()]

async def main():
    async with TestNatsBroker(broker) as br:
        if sys.argv[1] == "publish":
            await br.publish({"id": 1}, "orders")
        else:
            headers = json.loads(sys.argv[2])
            await subscriber.consume(Msg(_client=None, subject="orders", data=b'{"id":1}', headers=headers))
    print(json.dumps({**seen, "spans": spans()}))

asyncio.run(main())
`;

interface PythonSpan {
  readonly name: string;
  readonly trace_id: string;
  readonly span_id: string;
  readonly parent_id: string | null;
  readonly attributes: string[];
}

interface PythonRun {
  readonly headers: Record<string, string>;
  readonly baggage: Record<string, string>;
  readonly spans: PythonSpan[];
}

function runPython(...args: string[]): PythonRun {
  const run = spawnSync(python!, ["-c", PYTHON, ...args], { encoding: "utf8" });
  assert.equal(run.status, 0, run.stderr);
  return JSON.parse(run.stdout.trim().split("\n").at(-1)!);
}

describe("opentelemetry with Python FastStream", { skip: python ? false : "no Python FastStream" }, () => {
  it("continues in Sluice a trace FastStream started", async () => {
    const fromPython = runPython("publish");
    const create = fromPython.spans.find((s) => s.name === "orders create")!;
    const otel = telemetry();
    const broker = memory({ logger: silentLogger, middlewares: [telemetryMiddleware(otel)] });
    let handled = false;
    broker.subscriber("orders").handle(() => void (handled = true));
    await broker.start();
    try {
      // Straight onto the broker with FastStream's headers, as its NATS client would put the message there.
      const { "content-type": contentType, correlation_id: correlationId, ...headers } = fromPython.headers;
      const body = new TextEncoder().encode('{"id":1}');
      await broker.driver.publish("orders", { body, headers, contentType, correlationId }, {});
      while (!handled) await new Promise((resolve) => setTimeout(resolve, 1));
    } finally {
      await broker.close();
    }
    const processSpan = only(otel.spans(), "process orders");
    assert.equal(processSpan.spanContext().traceId, create.trace_id);
    assert.equal(
      parentOf(processSpan),
      create.span_id,
      "the child of the span FastStream put in traceparent",
    );
    // Every attribute FastStream puts on its process span, ours has too.
    const theirs = fromPython.spans.find((s) => s.name === "orders process")!.attributes;
    assert.deepEqual(theirs.filter((key) => !(key in processSpan.attributes)), []);
  });

  it("continues in FastStream a trace Sluice started, with its baggage", async () => {
    const otel = telemetry();
    const broker = memory({ logger: silentLogger, middlewares: [telemetryMiddleware(otel)] });
    const sent: Record<string, string>[] = [];
    broker.subscriber("checkout").handle(async (order, ctx) => {
      setBaggage(ctx, propagation.createBaggage({ tenant: { value: "acme corp" } }));
      await ctx.publish(order, "orders");
    });
    broker.subscriber("orders").handle((_order, ctx) => void sent.push({ ...ctx.message.headers }));
    await using br = await testBroker(broker);
    await br.publish({ id: 1 }, "checkout");
    await br.settled();
    const publish = only(otel.spans(), "publish orders");
    const inPython = runPython("consume", JSON.stringify({ ...sent[0], "content-type": "application/json" }));
    const processSpan = inPython.spans.find((s) => s.name === "orders process")!;
    assert.equal(processSpan.trace_id, publish.spanContext().traceId);
    assert.equal(processSpan.parent_id, publish.spanContext().spanId, "the child of Sluice's publish span");
    assert.deepEqual(inPython.baggage, { tenant: "acme corp" });
    // Every attribute FastStream puts on its publish span, ours has too.
    const theirs = runPython("publish").spans.find((s) => s.name === "orders publish")!.attributes;
    assert.deepEqual(theirs.filter((key) => !(key in publish.attributes)), []);
  });
});
