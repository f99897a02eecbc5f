import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { App, type Context, memory, OptionError } from "@sluice/core";
import { asyncapi, toYaml } from "@sluice/core/asyncapi";
import { prometheusMiddleware } from "@sluice/prometheus";
import { Hono } from "hono";
import { type } from "arktype";
import { http, serve, type SluiceEnv } from "@sluice/http";

function get(api: Hono<SluiceEnv>, path: string, init?: RequestInit): Promise<Response> {
  return Promise.resolve(api.request(path, init));
}

async function until(check: () => boolean): Promise<void> {
  for (let i = 0; !check(); i++) {
    if (i > 200) throw new Error("not within 2 s");
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

function shop() {
  const broker = memory();
  const app = new App(broker, { info: { title: "Shop", version: "2.1.0" } });
  const Order = type({ id: "string", total: "number > 0" });
  const received: { body: unknown; correlationId: string | undefined }[] = [];
  broker.subscriber("orders", { schema: Order }).publisher("invoices").handle((order, ctx: Context) => {
    received.push({ body: order, correlationId: ctx.message.correlationId });
    return { invoice: order.id, total: order.total };
  });
  broker.subscriber("invoices").handle(() => {});
  broker.subscriber("prices.{sku}").handle((_body: unknown, ctx: Context) => ({
    sku: ctx.path.sku,
    price: 9.5,
  }));
  return { broker, app, received };
}

describe("probes", () => {
  it("answers /health always and /ready only once the app started", async () => {
    const { app } = shop();
    const api = http(app);
    assert.deepEqual(await (await get(api, "/health")).json(), { status: "ok" });
    const starting = await get(api, "/ready");
    assert.equal(starting.status, 503);
    assert.deepEqual(await starting.json(), {
      status: "starting",
      ready: false,
      brokers: [{ broker: "memory", url: "memory://", ready: false, reason: "not connected" }],
    });
    await app.start();
    const ready = await get(api, "/ready");
    assert.equal(ready.status, 200);
    assert.deepEqual(await ready.json(), {
      status: "ready",
      ready: true,
      brokers: [{ broker: "memory", url: "memory://", ready: true }],
    });
    await app.stop();
    const stopped = await get(api, "/ready");
    assert.equal(stopped.status, 503);
    assert.equal((await stopped.json()).status, "stopped");
    assert.equal((await get(api, "/health")).status, 200);
  });

  it("says 503 draining while the app stops and a handler is still running", async () => {
    const broker = memory();
    const app = new App(broker);
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    let started!: () => void;
    const running = new Promise<void>((resolve) => (started = resolve));
    broker.subscriber("slow").handle(async () => {
      started();
      await held;
    });
    const api = http(app);
    await app.start();
    await broker.publish("work", "slow");
    await running;
    const stopping = app.stop();
    const draining = await get(api, "/ready");
    assert.equal(draining.status, 503);
    const body = await draining.json();
    assert.equal(body.status, "draining");
    assert.equal(body.ready, false);
    release();
    await stopping;
    assert.equal((await (await get(api, "/ready")).json()).status, "stopped");
  });
});

describe("documents", () => {
  it("serves asyncapi(app) as JSON and YAML", async () => {
    const { app } = shop();
    const api = http(app);
    const json = await get(api, "/asyncapi.json");
    assert.equal(json.headers.get("content-type"), "application/json");
    assert.deepEqual(await json.json(), JSON.parse(JSON.stringify(asyncapi(app))));
    const yaml = await get(api, "/asyncapi.yaml");
    assert.equal(yaml.headers.get("content-type"), "application/yaml");
    assert.equal(await yaml.text(), toYaml(asyncapi(app)));
  });

  it("serves a self-contained docs page with every channel and the topology", async () => {
    const { app } = shop();
    const page = await get(http(app), "/docs");
    assert.equal(page.status, 200);
    assert.match(page.headers.get("content-type") ?? "", /^text\/html/);
    assert.match(page.headers.get("content-security-policy") ?? "", /^default-src 'none';/);
    const html = await page.text();
    // Nothing is loaded from elsewhere: no script, style sheet, image, font or frame by URL.
    assert.doesNotMatch(html, /<(script|img|iframe)[^>]+src=|<link[^>]+href=|url\((?!#)|@import/);
    for (const channel of ["orders", "invoices", "prices.{sku}"]) {
      assert.ok(html.includes(`<h3>${channel}`), channel);
    }
    assert.equal(html.match(/data-kind="subscriber"/g)?.length, 3);
    assert.equal(html.match(/data-kind="publisher"/g)?.length, 1);
    assert.ok(html.includes("<code>{sku}</code>"), "the channel parameter is listed");
    assert.ok(html.includes("&quot;total&quot;"), "the payload schema is shown");
    assert.ok(!html.includes("<form"), "try-it-out is off by default");
  });

  it("leaves the page out with docs: false", async () => {
    const { app } = shop();
    assert.equal((await get(http(app, { docs: false }), "/docs")).status, 404);
  });
});

describe("metrics", () => {
  it("answers 404 with what to install when no Prometheus middleware is there", async () => {
    const { app } = shop();
    const response = await get(http(app), "/metrics");
    assert.equal(response.status, 404);
    assert.match(await response.text(), /@sluice\/prometheus.*prometheusMiddleware/);
  });

  it("serves the registry of the broker's Prometheus middleware", async () => {
    const metrics = prometheusMiddleware({ appName: "shop" });
    const broker = memory({ middlewares: [metrics] });
    const app = new App(broker);
    broker.subscriber("orders").handle(() => {});
    const api = http(app);
    await app.start();
    try {
      await broker.publish({ id: "1" }, "orders");
      await until(() => metrics.registry.metrics().includes('status="acked"'));
      const response = await get(api, "/metrics");
      assert.equal(response.status, 200);
      assert.equal(response.headers.get("content-type"), "text/plain; version=0.0.4; charset=utf-8");
      const text = await response.text();
      assert.equal(text, metrics.registry.metrics());
      assert.match(
        text,
        /faststream_received_messages_total\{app_name="shop",broker="memory",handler="orders"\} 1/,
      );
      const promtool = spawnSync("promtool", ["check", "metrics"], { input: text, encoding: "utf8" });
      if (promtool.error) {
        console.warn("SKIP: promtool not found: apt-get install prometheus to parse /metrics");
      } else assert.equal(promtool.status, 0, `${promtool.stdout}${promtool.stderr}`);
    } finally {
      await app.stop();
    }
  });

  it("writes a registry two brokers share once", async () => {
    const metrics = prometheusMiddleware();
    const app = new App([memory({ middlewares: [metrics] }), memory({ middlewares: [metrics] })]);
    const text = await (await get(http(app), "/metrics")).text();
    assert.equal(text, metrics.registry.metrics());
  });
});

describe("user routes", () => {
  it("mount beside the built-in ones and publish with the caller's correlation id", async () => {
    const { app, received } = shop();
    const orders = new Hono<SluiceEnv>();
    orders.post("/", async (c) => {
      await c.var.publish(await c.req.json(), "orders");
      return c.json({ accepted: true, correlationId: c.var.correlationId }, 202);
    });
    orders.get("/prices/:sku", async (c) => {
      const reply = await c.var.request({}, `prices.${c.req.param("sku")}`, { timeout: 5000 });
      return c.json(reply.body);
    });
    const api = http(app).route("/orders", orders);
    await app.start();
    try {
      const response = await get(api, "/orders", {
        method: "POST",
        headers: { "content-type": "application/json", "x-correlation-id": "checkout-42" },
        body: JSON.stringify({ id: "A-1", total: 12 }),
      });
      assert.equal(response.status, 202);
      assert.equal(response.headers.get("x-correlation-id"), "checkout-42");
      assert.deepEqual(await response.json(), { accepted: true, correlationId: "checkout-42" });
      assert.deepEqual(received, [{ body: { id: "A-1", total: 12 }, correlationId: "checkout-42" }]);
      const price = await get(api, "/orders/prices/tea");
      assert.deepEqual(await price.json(), { sku: "tea", price: 9.5 });
      assert.match(price.headers.get("x-correlation-id") ?? "", /^[0-9a-f-]{36}$/);
    } finally {
      await app.stop();
    }
  });
});

describe("try-it-out", () => {
  const token = "s3cret-token";
  const post = (api: Hono<SluiceEnv>, body: unknown, auth?: string) =>
    get(api, "/docs/publish", {
      method: "POST",
      headers: { "content-type": "application/json", ...(auth ? { authorization: auth } : {}) },
      body: JSON.stringify(body),
    });

  it("needs a token to be turned on", () => {
    const { app } = shop();
    assert.throws(() => http(app, { docs: { tryItOut: true } }), OptionError);
  });

  it("is not there unless turned on", async () => {
    const { app } = shop();
    assert.equal((await post(http(app), { channel: "orders", body: {} }, `Bearer ${token}`)).status, 404);
  });

  it("answers 401 without the bearer token or with a wrong one, and publishes nothing", async () => {
    const { app, received } = shop();
    const api = http(app, { docs: { tryItOut: true, token } });
    await app.start();
    try {
      const order = { channel: "orders", body: { id: "A-1", total: 3 } };
      const without = await post(api, order);
      assert.equal(without.status, 401);
      assert.equal(without.headers.get("www-authenticate"), 'Bearer realm="sluice docs"');
      assert.equal((await post(api, order, "Bearer wrong")).status, 401);
      assert.equal((await post(api, order, `Basic ${token}`)).status, 401);
      assert.equal(received.length, 0);
    } finally {
      await app.stop();
    }
  });

  it("validates against the subscriber's schema, publishes, and returns a request's reply", async () => {
    const { app, received } = shop();
    const api = http(app, { docs: { tryItOut: true, token } });
    const html = await (await get(api, "/docs")).text();
    assert.equal(html.match(/<form class="try"/g)?.length, 3, "a form per consumed channel");
    await app.start();
    try {
      const bad = await post(api, { channel: "orders", body: { id: "A-1", total: -1 } }, `Bearer ${token}`);
      assert.equal(bad.status, 422);
      const problem = await bad.json();
      assert.equal(problem.error, "The body does not match the schema of orders");
      assert.match(problem.issues[0], /^body\.total: /);
      assert.equal(received.length, 0);
      const ok = await post(api, { channel: "orders", body: { id: "A-2", total: 5 } }, `Bearer ${token}`);
      assert.equal(ok.status, 200);
      assert.equal((await ok.json()).published, true);
      await until(() => received.length > 0);
      assert.deepEqual(received.map((r) => r.body), [{ id: "A-2", total: 5 }]);
      const asked = await post(api, { channel: "prices.tea", body: {}, request: true }, `Bearer ${token}`);
      assert.deepEqual((await asked.json()).reply, { sku: "tea", price: 9.5 });
      const unknown = await post(api, { channel: "nowhere", body: {} }, `Bearer ${token}`);
      assert.equal(unknown.status, 404);
      assert.match((await unknown.json()).error, /No subscriber of this app consumes nowhere/);
    } finally {
      await app.stop();
    }
  });
});

describe("serve", () => {
  it("serves on the runtime's server until the signal aborts", async () => {
    const { app } = shop();
    const stop = new AbortController();
    const server = await serve(http(app), { port: 0, hostname: "127.0.0.1", signal: stop.signal });
    assert.ok(server.port > 0);
    const health = await fetch(`${server.url}/health`);
    assert.deepEqual(await health.json(), { status: "ok" });
    const docs = await fetch(`${server.url}/asyncapi.json`);
    assert.equal((await docs.json()).info.title, "Shop");
    stop.abort();
    await server.finished;
    await assert.rejects(fetch(`${server.url}/health`));
  });
});
