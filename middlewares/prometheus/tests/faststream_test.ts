// The metric names, types, label names and bucket bounds are FastStream's own: this test has Python
// FastStream's PrometheusMiddleware write its metrics for a small app and compares them with ours. It needs
// the Python of scripts/python (FastStream 0.7.8 with prometheus-client); without one it skips with a loud
// line, and fails under SLUICE_REQUIRE_PYTHON=1.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { memory, silentLogger } from "@sluice/core";
import { testBroker } from "@sluice/core/testing";
import { prometheusMiddleware } from "@sluice/prometheus";
import { faststreamPythonWith } from "../../../tests/_support/python.ts";

const python = faststreamPythonWith(
  ["faststream.nats.prometheus", "prometheus_client"],
  "FastStream's Prometheus middleware and prometheus-client",
);

// The same app in both languages: a handler whose result goes to a publisher, and one that throws.
const PYTHON_APP = `
import asyncio
from prometheus_client import CollectorRegistry, generate_latest
from faststream.nats import NatsBroker, TestNatsBroker
from faststream.nats.prometheus import NatsPrometheusMiddleware

registry = CollectorRegistry()
broker = NatsBroker(middlewares=[NatsPrometheusMiddleware(registry=registry, app_name="shop")])

@broker.subscriber("orders")
@broker.publisher("audit")
async def orders(msg: dict):
    return msg

@broker.subscriber("audit")
async def audit(msg: dict):
    pass

@broker.subscriber("payments")
async def payments(msg: dict):
    raise ValueError("card declined")

async def main():
    async with TestNatsBroker(broker) as br:
        await br.publish({"id": 1}, "orders")
        try:
            await br.publish({"amount": 10}, "payments")
        except ValueError:
            pass
    print(generate_latest(registry).decode())

asyncio.run(main())
`;

async function ours(): Promise<string> {
  const metrics = prometheusMiddleware({ appName: "shop" });
  const broker = memory({ logger: silentLogger, middlewares: [metrics] });
  broker.subscriber("orders").publisher("audit").handle((order) => order);
  broker.subscriber("audit").handle(() => {});
  broker.subscriber("payments").handle(() => {
    throw new RangeError("card declined");
  });
  await using br = await testBroker(broker);
  await br.publish({ id: 1 }, "orders");
  await br.publish({ amount: 10 }, "payments");
  // FastStream's test broker fails the publish whose handler threw; here a publish fails on its own.
  await br.publish({}, "orders", { bogus: true } as never).catch(() => undefined);
  await br.settled();
  return metrics.registry.metrics();
}

/** Families (`name type`), and for each sample name its label names, and the `le` bounds of each histogram. */
function shape(text: string): { families: string[]; labels: string[]; bounds: string[] } {
  const families = new Set<string>();
  const labels = new Set<string>();
  const bounds = new Set<string>();
  for (const line of text.split("\n")) {
    const type = /^# TYPE (\S+) (\S+)$/.exec(line);
    // prometheus_client also writes the creation time of each series, as gauges named …_created.
    if (type && !type[1]!.endsWith("_created")) families.add(`${type[1]} ${type[2]}`);
    const sample = /^([a-zA-Z_:][\w:]*)\{(.*)\} /.exec(line);
    if (!sample || sample[1]!.endsWith("_created")) continue;
    const pairs = [...sample[2]!.matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)];
    labels.add(`${sample[1]} ${pairs.map((p) => p[1]).filter((n) => n !== "le").sort().join(",")}`);
    for (const [, name, value] of pairs) if (name === "le") bounds.add(`${sample[1]} ${value}`);
  }
  return { families: [...families].sort(), labels: [...labels].sort(), bounds: [...bounds].sort() };
}

describe(
  "prometheus metrics, against FastStream's",
  { skip: python ? false : "no Python FastStream" },
  () => {
    it("have FastStream's names, types, label names and bucket bounds", async () => {
      const run = spawnSync(python!, ["-c", PYTHON_APP], { encoding: "utf8" });
      assert.equal(run.status, 0, run.stderr);
      const theirs = shape(run.stdout);
      const mine = shape(await ours());
      assert.equal(theirs.families.length, 9, theirs.families.join("\n"));
      // FastStream's nine, and Sluice's own count of the messages a subscriber dropped past its bounds.
      const own = "faststream_received_dropped_messages_total counter";
      assert.deepEqual(mine.families, [...theirs.families, own].sort());
      assert.deepEqual(mine.labels, theirs.labels);
      assert.deepEqual(mine.bounds, theirs.bounds);
    });
  },
);
