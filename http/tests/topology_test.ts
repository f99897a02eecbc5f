import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { App, memory } from "@sluice/core";
import { asyncapi } from "@sluice/core/asyncapi";
import { topologyOf, topologySvg } from "@sluice/http";

describe("topology", () => {
  const broker = memory();
  const subscriber = broker.subscriber("payments", { group: "billing" }).publisher("receipts");
  subscriber.handle(function card() {
    return { paid: true };
  }, { filter: (message) => message.headers.kind === "card" });
  subscriber.handle(function other() {
    return { paid: false };
  });
  const alerts = broker.publisher("alerts"); // published by hand, by no handler
  void alerts;
  const topology = topologyOf(asyncapi(new App(broker)));
  const nodes = (kind: string) => topology.nodes.filter((n) => n.kind === kind).map((n) => n.label);
  const edge = (from: string, to: string, kind = "flow") =>
    topology.edges.some((e) => e.from === from && e.to === to && e.kind === kind);

  it("has a handler per filtered handler, each leading to the subscriber's publisher", () => {
    assert.deepEqual(nodes("subscriber"), ["payments (billing)"]);
    assert.deepEqual(nodes("handler"), ["card", "other"]);
    const [card, other] = topology.nodes.filter((n) => n.kind === "handler").map((n) => n.id);
    assert.ok(edge(card!, "publisher:receipts.send"));
    assert.ok(edge(other!, "publisher:receipts.send"));
    assert.ok(edge(card!, "replies:memory.replies", "reply"), "a request gets the handler's reply");
  });

  it("draws a publisher no handler feeds on its own, and the channels publishers write to", () => {
    assert.deepEqual(nodes("publisher").sort(), ["alerts", "receipts"]);
    assert.deepEqual(nodes("target").sort(), ["alerts", "receipts"]);
    assert.ok(!topology.edges.some((e) => e.to === "publisher:alerts.send"));
    assert.ok(edge("broker:memory", "channel:payments"));
    assert.ok(edge("channel:payments", "subscriber:payments.receive.billing"));
  });

  it("draws one SVG group per node, named by kind, with the labels escaped", () => {
    const svg = topologySvg({
      nodes: [{ id: "a", kind: "channel", label: "<orders>", column: 1, ref: "orders" }],
      edges: [],
    });
    assert.match(svg, /^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
    assert.match(svg, /<g class="node channel" data-kind="channel" data-ref="orders">/);
    assert.ok(svg.includes("&lt;orders&gt;") && !svg.includes("<orders>"));
  });
});
