// One trace across Python FastStream 0.7.8 and Sluice over a real broker (NATS and RabbitMQ). A FastStream
// service with its OpenTelemetry middleware (the SDK's in-memory exporter) sends a request; a Sluice handler
// with telemetryMiddleware consumes it, publishes an audit message to a FastStream subscriber with baggage of
// its own, and replies. Every span of both sides is on the trace FastStream started: Sluice's process span
// is the child of the span FastStream put in `traceparent`, and FastStream's process span of the audit
// message is the child of Sluice's publish span. Needs the Python of scripts/python and the real brokers;
// skips with a loud line without them (CI sets SLUICE_REQUIRE_PYTHON=1 and SLUICE_REQUIRE_BROKERS=1).
import { after, describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { propagation, SpanKind } from "@opentelemetry/api";
import type { Broker, Middleware } from "@sluice/core";
import { testBroker } from "@sluice/core/testing";
import { baggageOf, setBaggage, telemetryMiddleware } from "@sluice/opentelemetry";
import { nats } from "@sluice/nats";
import { rabbitmq } from "@sluice/rabbitmq";
import { type BrokerName, realBroker } from "../../../tests/_support/brokers.ts";
import { only, parentOf, telemetry } from "./_telemetry.ts";
import { faststreamPythonWith } from "../../../tests/_support/python.ts";

// argv: kind (nats | rabbit), url, the request's destination, the audit destination. FastStream requests
// {"id": 1} from Sluice, waits for the audit message, and prints the reply, what its audit handler saw and
// its spans as one JSON line.
const PYTHON = `
import asyncio, json, sys
from faststream import Context
from faststream.opentelemetry import CurrentBaggage
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

kind, url, quote, audit = sys.argv[1:5]
exporter = InMemorySpanExporter()
provider = TracerProvider()
provider.add_span_processor(SimpleSpanProcessor(exporter))
if kind == "nats":
    from faststream.nats import NatsBroker
    from faststream.nats.opentelemetry import NatsTelemetryMiddleware
    broker = NatsBroker(url, middlewares=[NatsTelemetryMiddleware(tracer_provider=provider)])
    source, target = {"subject": audit}, {"subject": quote}
else:
    from faststream.rabbit import RabbitBroker, RabbitQueue
    from faststream.rabbit.opentelemetry import RabbitTelemetryMiddleware
    broker = RabbitBroker(url, middlewares=[RabbitTelemetryMiddleware(tracer_provider=provider)])
    source, target = {"queue": RabbitQueue(audit, auto_delete=True)}, {"queue": quote}

seen = {}
arrived = asyncio.Event()

@broker.subscriber(**source)
async def on_audit(body: dict, baggage: CurrentBaggage, msg=Context("message")):
    seen.update(body=body, headers=dict(msg.headers), baggage=baggage.get_all())
    arrived.set()

def spans():
    return [{
        "name": s.name,
        "kind": s.kind.name,
        "trace_id": format(s.context.trace_id, "032x"),
        "span_id": format(s.context.span_id, "016x"),
        "parent_id": format(s.parent.span_id, "016x") if s.parent else None,
    } for s in exporter.get_finished_spans()]

async def main():
    await broker.start()
    if kind == "nats":
        await broker.connection.flush()
    try:
        reply = await broker.request({"id": 1}, **target, timeout=30)
        answer = await reply.decode()
        await asyncio.wait_for(arrived.wait(), 30)
    finally:
        await broker.stop()
    print(json.dumps({"reply": answer, "audit": seen, "spans": spans()}))

asyncio.run(main())
`;

interface PythonSpan {
  readonly name: string;
  readonly kind: string;
  readonly trace_id: string;
  readonly span_id: string;
  readonly parent_id: string | null;
}

interface PythonRun {
  readonly reply: unknown;
  readonly audit: { body: unknown; headers: Record<string, string>; baggage: Record<string, string> };
  readonly spans: PythonSpan[];
}

/** Runs the FastStream side to its end, while this process's Sluice broker answers. */
function runPython(python: string, args: string[]): Promise<PythonRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(python, ["-c", PYTHON, ...args], { stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk) => (stdout += chunk));
    child.stderr.on("data", (chunk) => (stderr += chunk));
    const timer = setTimeout(() => child.kill(), 90_000);
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      if (code !== 0) return reject(new Error(`FastStream exited with ${code}:\n${stderr}`));
      resolve(JSON.parse(stdout.trim().split("\n").at(-1)!));
    });
  });
}

interface Target {
  readonly name: BrokerName;
  /** FastStream's module name for the broker. */
  readonly kind: "nats" | "rabbit";
  readonly make: (url: string, middlewares: Middleware[]) => Broker;
  /** Options of Sluice's subscriber and publish that address what FastStream addresses by name. */
  readonly subscribe: (name: string) => Record<string, unknown>;
  readonly publish: Record<string, unknown>;
  /** FastStream's span names: the destination as FastStream writes it. */
  readonly pyDestination: (name: string) => string;
}

const targets: Target[] = [
  {
    name: "nats",
    kind: "nats",
    make: (url, middlewares) => nats({ servers: url, logLevel: "error", middlewares }),
    subscribe: () => ({}),
    publish: {},
    pyDestination: (name) => name,
  },
  {
    name: "amqp",
    kind: "rabbit",
    make: (url, middlewares) => rabbitmq({ url, logLevel: "error", middlewares }),
    // FastStream's `queue=` names a queue of the default exchange, its routing key the queue's name.
    subscribe: (name) => ({ exchange: "", queue: { name, durable: false, autoDelete: true } }),
    publish: { exchange: "" },
    pyDestination: (name) => `default.${name}`,
  },
];

const python = faststreamPythonWith(
  ["faststream.opentelemetry", "opentelemetry.sdk.trace.export.in_memory_span_exporter"],
  "FastStream's OpenTelemetry middleware and the OpenTelemetry SDK",
);
for (const target of targets) {
  const server = python ? await realBroker(target.name) : undefined;
  describe(`opentelemetry with Python FastStream on a real ${target.name}`, {
    skip: server ? false : `no Python FastStream or no real ${target.name}`,
  }, () => {
    after(() => server!.stop());

    it("puts a FastStream request, Sluice's handling, its publish and FastStream's handling on one trace", {
      timeout: 120_000,
    }, async () => {
      const run = `otel-py-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 6)}`;
      const quote = `${run}.quote`;
      const audit = `${run}.audit`;
      const otel = telemetry();
      const broker = target.make(server!.url, [telemetryMiddleware(otel)]);
      let traceIdInHandler: string | undefined;
      broker.subscriber(quote, target.subscribe(quote)).handle(async (order, ctx) => {
        traceIdInHandler = ctx.message.headers.traceparent?.split("-")[1];
        const baggage = baggageOf(ctx) ?? propagation.createBaggage();
        setBaggage(ctx, baggage.setEntry("tenant", { value: "acme corp" }));
        await ctx.publish({ order }, audit, target.publish);
        return { total: 2.5 };
      });
      await using _br = await testBroker(broker, { real: true });
      const fromPython = await runPython(python!, [target.kind, server!.url, quote, audit]);
      assert.deepEqual(fromPython.reply, { total: 2.5 });
      assert.deepEqual(fromPython.audit.body, { order: { id: 1 } });

      const spans = otel.spans();
      const process = only(spans, `process ${quote}`);
      const publish = only(spans, `publish ${audit}`);
      const reply = only(spans, "reply");
      const py = (name: string) => {
        const found = fromPython.spans.filter((s) => s.name === name);
        assert.equal(found.length, 1, `FastStream's span ${name}: ${fromPython.spans.map((s) => s.name)}`);
        return found[0]!;
      };
      // FastStream's request outside any handler: a `create` span goes in traceparent, `publish` under it.
      const pyCreate = py(`${target.pyDestination(quote)} create`);
      const pyPublish = py(`${target.pyDestination(quote)} publish`);
      const pyProcess = py(`${target.pyDestination(audit)} process`);
      const traceId = pyCreate.trace_id;
      assert.equal(pyCreate.parent_id, null, "FastStream started the trace");
      assert.equal(pyPublish.parent_id, pyCreate.span_id);
      assert.equal(traceIdInHandler, traceId, "the traceparent crossed the broker");
      for (
        const span of [
          ...spans.map((s) => s.spanContext().traceId),
          ...fromPython.spans.map((s) => s.trace_id),
        ]
      ) {
        assert.equal(span, traceId, "one trace on both sides");
      }
      assert.equal(process.kind, SpanKind.CONSUMER);
      assert.equal(
        parentOf(process),
        pyCreate.span_id,
        "Sluice continues the span FastStream put in traceparent",
      );
      assert.equal(parentOf(publish), process.spanContext().spanId);
      assert.equal(parentOf(reply), process.spanContext().spanId);
      assert.equal(pyProcess.kind, "CONSUMER");
      assert.equal(
        pyProcess.parent_id,
        publish.spanContext().spanId,
        "FastStream continues Sluice's publish",
      );
      assert.deepEqual(
        fromPython.audit.baggage,
        { tenant: "acme corp" },
        "Sluice's baggage reached FastStream",
      );
    });
  });
}
