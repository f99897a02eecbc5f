/**
 * `http(app)`: the HTTP side of a Sluice service as a Hono app — probes, metrics, AsyncAPI, the docs page
 * with its opt-in try-it-out, and whatever routes the user adds, which publish and request through the
 * app's brokers with the caller's correlation id.
 *
 * @module
 */

import { Hono } from "hono";
import type { Context as HonoContext } from "hono";
import {
  type App,
  type Broker,
  OptionError,
  type PublishOptions,
  type Reply,
  type RequestCallOptions,
} from "@sluice/core";
import { asyncapi, type AsyncApiDocument, toYaml } from "@sluice/core/asyncapi";
import { docsPage } from "./docs_page.ts";
import { Readiness } from "./readiness.ts";
import { publishFromDocs } from "./_try_it_out.ts";

/** The content type of the Prometheus text format, version 0.0.4. */
const METRICS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

/** Anything that writes Prometheus text: `@sluice/prometheus`'s `Registry`, or its middleware. */
export type MetricsSource = { metrics(): string } | { readonly registry: { metrics(): string } };

/** Options of the docs page. */
export interface DocsOptions {
  /**
   * A publish form per consumed channel, posting to `POST /docs/publish`; off by default. It publishes to
   * the real brokers, so it needs `token`, sent by the page as `Authorization: Bearer <token>`.
   */
  readonly tryItOut?: boolean;
  /** The bearer token try-it-out requires. */
  readonly token?: string;
}

/** Options of {@linkcode http}. */
export interface HttpOptions {
  /** Milliseconds a broker may take to answer `/ready`'s ping before it counts as down; 2000 by default. */
  readonly readyTimeout?: number;
  /**
   * What `/metrics` serves; by default the registry of every `@sluice/prometheus` middleware on the app's
   * brokers. Without any, `/metrics` answers 404 saying how to add one.
   */
  readonly metrics?: MetricsSource | readonly MetricsSource[];
  /** The docs page and its try-it-out; `false` leaves out `/docs` (the AsyncAPI files stay). */
  readonly docs?: DocsOptions | false;
}

/** What a route finds in `c.var`. */
export interface SluiceVariables {
  /** The app's first broker. */
  readonly broker: Broker;
  /** All of the app's brokers, in order. */
  readonly brokers: readonly Broker[];
  /** The request's `x-correlation-id`, or a new one; the response carries it back. */
  readonly correlationId: string;
  /** Publishes through the first broker with the request's correlation id. */
  readonly publish: (body: unknown, channel: string, options?: PublishOptions) => Promise<void>;
  /** Requests through the first broker with the request's correlation id, and waits for the reply. */
  readonly request: (body: unknown, channel: string, options?: RequestCallOptions) => Promise<Reply<unknown>>;
}

/** The Hono environment of {@linkcode http}'s app; give it to your own `new Hono<SluiceEnv>()`. */
export type SluiceEnv = { Variables: SluiceVariables };

const DOCS_CSP = "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; " +
  "connect-src 'self'; form-action 'none'; base-uri 'none'; frame-ancestors 'none'";

/** The header the correlation id travels in, in and out. */
export const CORRELATION_HEADER = "x-correlation-id";

function isMetrics(value: unknown): value is { metrics(): string } {
  return typeof value === "object" && value !== null && "metrics" in value &&
    typeof value.metrics === "function";
}

/** The registries `/metrics` writes, each once (brokers may share one). */
function metricSources(app: App, option: HttpOptions["metrics"]): { metrics(): string }[] {
  const candidates: readonly unknown[] = option === undefined
    ? app.brokers.flatMap((broker) => broker.middlewareChain())
    : Array.isArray(option)
    ? option
    : [option];
  const registries = candidates.map((candidate) =>
    isMetrics(candidate)
      ? candidate
      : typeof candidate === "object" && candidate !== null && "registry" in candidate &&
          isMetrics(candidate.registry)
      ? candidate.registry
      : undefined
  );
  return [...new Set(registries.filter(isMetrics))];
}

/**
 * The HTTP side of an app, as a Hono app:
 *
 * - `GET /health`: 200 while the process serves;
 * - `GET /ready`: 200 once the app started and every broker answers its ping, else 503 with a JSON body
 *   naming the phase (`starting`, `draining`, `stopped`) or the broker that does not answer;
 * - `GET /metrics`: the Prometheus text of `@sluice/prometheus`, or 404 without it;
 * - `GET /asyncapi.json`, `GET /asyncapi.yaml`: `asyncapi(app)`;
 * - `GET /docs`: the self-contained docs page, and with `docs: { tryItOut: true, token }`, `POST /docs/publish`.
 *
 * Add your own routes to it; `c.var.publish` and `c.var.request` send through the app's first broker with the
 * caller's `x-correlation-id`.
 *
 * @example
 * ```ts
 * import { App, memory } from "@sluice/core";
 * import { http, serve } from "@sluice/http";
 * const broker = memory();
 * const app = new App(broker);
 * const api = http(app);
 * api.post("/orders", async (c) => {
 *   await c.var.publish(await c.req.json(), "orders");
 *   return c.json({ accepted: true }, 202);
 * });
 * ```
 */
export function http(app: App, options: HttpOptions = {}): Hono<SluiceEnv> {
  const readyTimeout = options.readyTimeout ?? 2000;
  if (!(readyTimeout > 0)) {
    throw new OptionError(`readyTimeout must be a positive number of ms, got ${readyTimeout}`);
  }
  const docs = options.docs === false ? undefined : options.docs ?? {};
  if (docs?.tryItOut && !docs.token) {
    throw new OptionError(
      "docs.tryItOut publishes to the real brokers, so it needs docs.token: the bearer token the page sends",
    );
  }
  if (app.brokers.length === 0) throw new OptionError("http(app) needs an app with at least one broker");
  const readiness = new Readiness(app, readyTimeout);
  const document = (): AsyncApiDocument => asyncapi(app);
  const api = new Hono<SluiceEnv>();

  api.use("*", async (c, next) => {
    const correlationId = c.req.header(CORRELATION_HEADER) || crypto.randomUUID();
    const broker = app.brokers[0]!;
    c.set("broker", broker);
    c.set("brokers", app.brokers);
    c.set("correlationId", correlationId);
    c.set(
      "publish",
      (body, channel, publish) => broker.publish(body, channel, { correlationId, ...publish }),
    );
    c.set(
      "request",
      (body, channel, request) => broker.request(body, channel, { correlationId, ...request }),
    );
    await next();
    c.header(CORRELATION_HEADER, correlationId);
  });

  api.get("/health", (c) => c.json({ status: "ok" }));
  api.get("/ready", async (c) => {
    const report = await readiness.check();
    return c.json(report, report.ready ? 200 : 503);
  });
  api.get("/metrics", (c) => {
    const sources = metricSources(app, options.metrics);
    if (sources.length === 0) {
      return c.text(
        "No metrics: add @sluice/prometheus's prometheusMiddleware() to a broker (or give http() `metrics`)\n",
        404,
      );
    }
    const text = sources.map((source) => source.metrics()).join("");
    return c.body(text, 200, { "content-type": METRICS_CONTENT_TYPE });
  });
  api.get("/asyncapi.json", (c) => c.json(document()));
  api.get("/asyncapi.yaml", (c) => c.body(toYaml(document()), 200, { "content-type": "application/yaml" }));
  if (docs) {
    // The page is self-contained, and says so to the browser: nothing may load from anywhere, and its
    // script may only talk to this server.
    api.get("/docs", (c) => {
      c.header("content-security-policy", DOCS_CSP);
      return c.html(docsPage(document(), { tryItOut: docs.tryItOut }));
    });
    if (docs.tryItOut) {
      api.post("/docs/publish", (c: HonoContext<SluiceEnv>) => publishFromDocs(c, app, docs.token!));
    }
  }
  return api;
}
