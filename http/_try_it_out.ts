/**
 * `POST /docs/publish`, behind the docs page's try-it-out forms: checks the bearer token, finds the
 * subscriber that consumes the channel, validates the body with that subscriber's own schema, then publishes
 * it — or requests, and answers with the reply.
 *
 * It publishes only to channels the app consumes: the page is for trying the service's handlers, not a
 * general way into the brokers.
 *
 * @module
 */

import type { Context } from "hono";
import type { App, Broker, Subscriber } from "@sluice/core";
import { describeError, pathExtractor } from "@sluice/core/kit";
import type { SluiceEnv } from "./app.ts";

/** Compares in time that does not depend on where the strings differ. */
function sameSecret(a: string, b: string): boolean {
  const x = new TextEncoder().encode(a);
  const y = new TextEncoder().encode(b);
  let difference = x.length ^ y.length;
  for (let i = 0; i < x.length; i++) difference |= x[i]! ^ (y[i % (y.length || 1)] ?? 0);
  return difference === 0;
}

function consumerOf(app: App, channel: string): { broker: Broker; subscriber: Subscriber } | undefined {
  for (const broker of app.brokers) {
    for (const subscriber of broker.allSubscribers()) {
      const template = subscriber.channel;
      if (template === channel) return { broker, subscriber };
      if (pathExtractor(template, "")?.(channel)) return { broker, subscriber };
    }
  }
  return undefined;
}

function issuePath(path: readonly (PropertyKey | { readonly key: PropertyKey })[] | undefined): string {
  if (!path?.length) return "body";
  return `body.${path.map((p) => String(typeof p === "object" ? p.key : p)).join(".")}`;
}

/** Handles `POST /docs/publish` for `app`, with `token` as the bearer token. */
export async function publishFromDocs(c: Context<SluiceEnv>, app: App, token: string): Promise<Response> {
  const authorization = c.req.header("authorization") ?? "";
  const given = authorization.match(/^Bearer\s+(.+)$/i)?.[1] ?? "";
  if (!sameSecret(given, token)) {
    c.header("www-authenticate", 'Bearer realm="sluice docs"');
    return c.json({ error: "Try-it-out needs the bearer token given to http() as docs.token" }, 401);
  }
  let input: { channel?: unknown; body?: unknown; request?: unknown; timeout?: unknown };
  try {
    input = await c.req.json();
  } catch {
    return c.json(
      { error: 'The request body must be JSON: { "channel": "…", "body": …, "request": false }' },
      400,
    );
  }
  if (typeof input?.channel !== "string" || input.channel === "" || !("body" in input)) {
    return c.json({ error: 'Give "channel" (a string) and "body" (any JSON)' }, 400);
  }
  if (/[{}]/.test(input.channel)) {
    return c.json(
      { error: `Fill in the parameters of ${input.channel}: publish to a concrete channel` },
      400,
    );
  }
  const found = consumerOf(app, input.channel);
  if (!found) {
    return c.json({
      error:
        `No subscriber of this app consumes ${input.channel}: try-it-out publishes to consumed channels only`,
    }, 404);
  }
  const schema = found.subscriber.options.schema;
  if (schema) {
    const result = await schema["~standard"].validate(input.body);
    if (result.issues) {
      return c.json({
        error: `The body does not match the schema of ${found.subscriber.channel}`,
        issues: result.issues.map((issue) => `${issuePath(issue.path)}: ${issue.message}`),
      }, 422);
    }
  }
  const correlationId = c.var.correlationId;
  const timeout = typeof input.timeout === "number" && input.timeout > 0 ? input.timeout : 10_000;
  try {
    if (input.request === true) {
      const reply = await found.broker.request(input.body, input.channel, { correlationId, timeout });
      return c.json({ channel: input.channel, correlationId, reply: reply.body ?? null });
    }
    await found.broker.publish(input.body, input.channel, { correlationId });
    app.logger.info(`Docs try-it-out published to ${input.channel}`, { correlation_id: correlationId });
    return c.json({ channel: input.channel, correlationId, published: true });
  } catch (error) {
    return c.json({ error: `Publishing to ${input.channel} failed: ${describeError(error)}` }, 502);
  }
}
