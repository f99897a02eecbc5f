import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { OptionError } from "@sluice/core";
import { formatNumber, Registry } from "@sluice/prometheus";

describe("registry", () => {
  it("writes numbers as Python's prometheus_client does, so `le` labels match a FastStream service's", () => {
    // Expected strings from prometheus_client 0.26's floatToGoString.
    const cases: [number, string][] = [
      [0.005, "0.005"],
      [1, "1.0"],
      [16, "16.0"],
      [65536, "65536.0"],
      [1048576, "1.048576e+06"],
      [16777216, "1.6777216e+07"],
      [Infinity, "+Inf"],
      [1e-5, "1e-05"],
      [1e16, "1e+16"],
      [0.1 + 0.2, "0.30000000000000004"],
      [123456.5, "123456.5"],
      [1234567.5, "1.2345675e+06"],
      [0, "0.0"],
      [2.5e-7, "2.5e-07"],
      [1e21, "1e+21"],
      [12345678901234567890, "1.2345678901234567e+19"],
    ];
    assert.deepEqual(cases.map(([n]) => [n, formatNumber(n)]), cases);
  });

  it("writes counters, gauges and histograms in the text format, labels escaped", () => {
    const registry = new Registry();
    const jobs = registry.counter({ name: "jobs_total", help: "Jobs done\nby kind", labelNames: ["kind"] });
    jobs.labels('say "hi"\\').inc();
    jobs.labels("import").inc(2);
    registry.gauge({ name: "queue_depth", help: "Depth", labelNames: [] }).labels().set(7);
    const latency = registry.histogram({
      name: "latency_seconds",
      help: "Latency",
      labelNames: ["route"],
      buckets: [0.1, 1],
    }).labels("a");
    for (const value of [0.05, 0.1, 0.5, 3]) latency.observe(value);
    assert.equal(
      registry.metrics(),
      [
        "# HELP jobs_total Jobs done\\nby kind",
        "# TYPE jobs_total counter",
        'jobs_total{kind="say \\"hi\\"\\\\"} 1.0',
        'jobs_total{kind="import"} 2.0',
        "# HELP queue_depth Depth",
        "# TYPE queue_depth gauge",
        "queue_depth 7.0",
        "# HELP latency_seconds Latency",
        "# TYPE latency_seconds histogram",
        'latency_seconds_bucket{route="a",le="0.1"} 2.0',
        'latency_seconds_bucket{route="a",le="1.0"} 3.0',
        'latency_seconds_bucket{route="a",le="+Inf"} 4.0',
        'latency_seconds_count{route="a"} 4.0',
        'latency_seconds_sum{route="a"} 3.65',
        "",
      ].join("\n"),
    );
  });

  it("returns a metric declared again the same way, and refuses one declared differently", () => {
    const registry = new Registry();
    const first = registry.counter({ name: "x_total", help: "x", labelNames: ["a"] });
    assert.equal(registry.counter({ name: "x_total", help: "x", labelNames: ["a"] }), first);
    assert.throws(() => registry.gauge({ name: "x_total", help: "x", labelNames: ["a"] }), OptionError);
    assert.throws(() => registry.counter({ name: "x_total", help: "x", labelNames: ["b"] }), /labels a/);
    registry.histogram({ name: "h", help: "h", labelNames: [], buckets: [1, 2] });
    assert.throws(() => registry.histogram({ name: "h", help: "h", labelNames: [] }), /other buckets/);
  });

  it("refuses invalid names, reserved labels and a wrong number of label values", () => {
    const registry = new Registry();
    assert.throws(
      () => registry.counter({ name: "2x", help: "", labelNames: [] }),
      /not a valid metric name/,
    );
    assert.throws(() => registry.histogram({ name: "h", help: "", labelNames: ["le"] }), /"le"/);
    const counter = registry.counter({ name: "c_total", help: "", labelNames: ["a", "b"] });
    assert.throws(() => counter.labels("only one"), /got 1 value/);
  });
});
