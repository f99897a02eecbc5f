// Bad input on every broker (the shared ones; nothing is restarted). Bodies the consumer cannot take —
// malformed JSON, a schema failure, an unknown content type, an oversized body, an empty one, bytes that are not
// UTF-8, a handler that always throws — must each give one error line naming the message id, follow the
// subscriber's policy (rejected by default; retried, then dead-lettered, with retry + deadLetter), never loop,
// and leave the consumer consuming the next message. Headers the broker may not carry — CR/LF, NUL, 1,000 of
// them, values of 100 KB and 1 MiB — must either arrive intact or fail their own publish with a clear error
// (a Sluice error naming the channel or the message), and the next publish must go through.
import { after, describe, it } from "node:test";
import assert from "node:assert/strict";
import { type Broker, createLogger, SluiceError } from "@sluice/core";
import { describeError } from "@sluice/core/kit";
import { captureLogs } from "@sluice/core/testing";
import { type } from "arktype";
import { realBroker } from "../_support/brokers.ts";
import { sleep, waitFor } from "./_flow.ts";
import { record } from "./_results.ts";
import { type FaultTarget, selected, type TargetName, unique } from "./_targets.ts";

const NAMES: readonly TargetName[] = [
  "redis-stream",
  "redis-list",
  "nats-jetstream",
  "mqtt-qos1",
  "rabbitmq",
  "kafka",
  "sqs",
];

const Item = type({ id: "number", text: "string" });
const MAX_BODY = 64 * 1024;
/** How long a message may take to arrive, or its error line to show. */
const PATIENCE = 15_000;
/** How long to watch for a second error line or delivery (a loop) after the first. */
const QUIET = 700;
const bytes = (text: string) => new TextEncoder().encode(text);

/** What a consumer-side case sends and what must happen to it. */
interface BodyCase {
  readonly name: string;
  readonly body: unknown;
  readonly contentType?: string;
  /** Handler calls expected: 0 when the body never reaches it. */
  readonly calls: number;
  /** On the subscriber with retry (3 attempts) and a dead-letter channel. */
  readonly deadLetter?: boolean;
}

const BODY_CASES: readonly BodyCase[] = [
  { name: "malformed JSON", body: bytes('{"id": 1, "text":'), contentType: "application/json", calls: 0 },
  { name: "schema failure", body: { id: "one", text: 2 }, calls: 0 },
  { name: "unknown content type", body: bytes("<id>1</id>"), contentType: "application/x-unknown", calls: 0 },
  { name: "oversized (100 KB, limit 64 KB)", body: { id: 1, text: "x".repeat(100_000) }, calls: 0 },
  { name: "empty body", body: new Uint8Array(0), contentType: "application/json", calls: 0 },
  {
    name: "not UTF-8",
    body: new Uint8Array([0x7b, 0xff, 0xfe, 0x7d]),
    contentType: "application/json",
    calls: 0,
  },
  { name: "poison, default policy", body: { id: 1, text: "poison" }, calls: 1 },
  { name: "poison, retry 3 + dead-letter", body: { id: 1, text: "poison" }, calls: 3, deadLetter: true },
];

const HEADER_CASES: readonly { name: string; headers: Record<string, string> }[] = [
  { name: "header value with CR/LF", headers: { "x-note": "first\r\nsecond" } },
  { name: "header value with NUL", headers: { "x-note": "first\u0000second" } },
  {
    name: "1,000 headers",
    headers: Object.fromEntries(Array.from({ length: 1000 }, (_, i) => [`x-h${i}`, `v${i}`])),
  },
  { name: "header value of 100 KB", headers: { "x-big": "h".repeat(100 * 1024) } },
  { name: "header value of 1 MiB", headers: { "x-big": "h".repeat(1024 * 1024) } },
];

interface Seen {
  calls: number;
  headers?: Readonly<Record<string, string>>;
}

/** Runs every case on `target` at `url`; resolves with an outcome per case and the problems found. */
async function matrix(target: FaultTarget, url: string) {
  const logs = captureLogs();
  const base = unique("bad");
  const main = target.channel(`${base}-main`);
  const retrying = target.channel(`${base}-retry`);
  const dead = target.channel(`${base}-dead`);
  const group = unique("bad");
  const consumer = target.connect(url, { logger: createLogger({ level: "debug", sink: logs.sink }) });
  const seen = new Map<string, Seen>();
  const handler = (
    item: { text: string },
    ctx: { message: { messageId: string; headers: Record<string, string> } },
  ) => {
    const entry = seen.get(ctx.message.messageId) ?? { calls: 0 };
    entry.calls++;
    entry.headers = ctx.message.headers;
    seen.set(ctx.message.messageId, entry);
    if (item.text === "poison") throw new Error(`poison ${ctx.message.messageId}`);
  };
  // Each subscriber its own group (on RabbitMQ a group is a queue, on MQTT a session's client id).
  consumer.subscriber(main, {
    ...target.subscriber(main, { group: `${group}-main` }),
    schema: Item,
    maxBodySize: MAX_BODY,
  }).handle(handler);
  consumer.subscriber(retrying, {
    ...target.subscriber(retrying, { group: `${group}-retry` }),
    schema: Item,
    retry: { attempts: 3, delay: 50 },
    deadLetter: dead,
  }).handle(handler);
  const deadLettered = new Map<string, Readonly<Record<string, string>>>();
  consumer.subscriber(dead, target.subscriber(dead, { group: `${group}-dead` })).handle((_body, ctx) => {
    deadLettered.set(ctx.message.messageId, ctx.message.headers);
  });
  const publisher: Broker = target.connect(url, {
    logger: createLogger({ level: "error", sink: logs.sink }),
  });
  await consumer.start();
  await publisher.connect();

  const outcomes: Record<string, string> = {};
  const problems: string[] = [];
  let n = 0;
  const errorLines = (id: string) =>
    logs.records.filter((r) => r.level === "error" && r.fields.messageId === id);
  const publish = async (body: unknown, channel: string, options: Record<string, unknown>) => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const hung = new Promise<"hung">((resolve) => (timer = setTimeout(() => resolve("hung"), PATIENCE)));
    const sent = publisher.publish(body, channel, { ...target.publish, ...options }).then(
      () => "ok" as const,
      (error: unknown) => error,
    );
    const result = await Promise.race([sent, hung]);
    clearTimeout(timer);
    return result;
  };
  /** A refused publish: it must fail at once with a Sluice error naming the channel or the message. */
  const refused = (name: string, error: unknown, channel: string, id: string) => {
    if (error === "hung") {
      outcomes[name] = "publish hung";
      problems.push(`${name}: the publish never settled`);
      return;
    }
    const text = describeError(error).slice(0, 240);
    outcomes[name] = `refused at publish: ${text}`;
    const clear = error instanceof SluiceError && (text.includes(channel) || text.includes(id));
    if (!clear) problems.push(`${name}: unclear publish error: ${text}`);
  };
  /** A good message after each case: the consumer (and the publisher) must still work. */
  const next = async (name: string) => {
    const id = `good-${++n}`;
    const sent = await publish({ id: n, text: "fine" }, main, { messageId: id });
    if (sent !== "ok") {
      problems.push(`${name}: the next publish failed: ${sent === "hung" ? "hung" : describeError(sent)}`);
    } else if (!(await waitFor(() => seen.has(id), PATIENCE))) {
      problems.push(`${name}: the next message was not consumed`);
    }
  };

  for (const c of BODY_CASES) {
    const id = `${c.deadLetter ? "dl" : "bad"}-${++n}`;
    const sent = await publish(c.body, c.deadLetter ? retrying : main, {
      messageId: id,
      ...(c.contentType ? { contentType: c.contentType } : {}),
    });
    if (sent !== "ok") {
      // A body the broker cannot carry may be refused at publish, clearly.
      refused(c.name, sent, c.deadLetter ? retrying : main, id);
      await next(c.name);
      continue;
    }
    const done = () => errorLines(id).length > 0 && (!c.deadLetter || deadLettered.has(id));
    if (!(await waitFor(done, PATIENCE))) {
      outcomes[c.name] = `no error line (calls: ${seen.get(id)?.calls ?? 0})`;
      problems.push(`${c.name}: ${outcomes[c.name]}`);
      continue;
    }
    await sleep(QUIET);
    const lines = errorLines(id);
    const calls = seen.get(id)?.calls ?? 0;
    const policy = String(lines[0]!.fields.policy ?? "");
    outcomes[c.name] = `${policy}${c.deadLetter ? ` after ${calls} attempts` : ""}: ${lines[0]!.message}`;
    if (lines.length !== 1) problems.push(`${c.name}: ${lines.length} error lines for ${id}`);
    if (calls !== c.calls) problems.push(`${c.name}: handler called ${calls} times, expected ${c.calls}`);
    if (policy !== (c.deadLetter ? "dead-letter" : "reject")) problems.push(`${c.name}: policy ${policy}`);
    if (!lines[0]!.message.includes(id)) problems.push(`${c.name}: the error line does not name ${id}`);
    if (c.deadLetter && !deadLettered.get(id)?.["x-sluice-error"]?.includes("poison")) {
      problems.push(`${c.name}: the dead letter has no x-sluice-error header`);
    }
    await next(c.name);
  }

  for (const c of HEADER_CASES) {
    const id = `hdr-${++n}`;
    const sent = await publish({ id: n, text: "headers" }, main, { messageId: id, headers: c.headers });
    if (sent !== "ok") {
      refused(c.name, sent, main, id);
    } else if (await waitFor(() => seen.has(id) || errorLines(id).length > 0, PATIENCE)) {
      const got = seen.get(id)?.headers;
      if (!got) {
        outcomes[c.name] = `rejected by the consumer: ${errorLines(id)[0]!.message.slice(0, 200)}`;
      } else {
        const changed = Object.entries(c.headers).filter(([k, v]) => got[k] !== v).map(([k]) => k);
        outcomes[c.name] = changed.length === 0
          ? "delivered intact"
          : `delivered, ${changed.length} header(s) changed or missing (${changed.slice(0, 3).join(", ")})`;
        if (changed.length > 0) problems.push(`${c.name}: ${outcomes[c.name]}`);
      }
    } else {
      outcomes[c.name] = "accepted, never delivered";
      problems.push(`${c.name}: the publish succeeded but nothing arrived and nothing was logged`);
    }
    await next(c.name);
  }
  await publisher.close();
  await consumer.close();
  return { broker: target.label, outcomes, problems };
}

for (const target of selected(NAMES)) {
  const real = await realBroker(target.broker);
  describe(`bad input: ${target.label}`, { skip: real ? false : `no real ${target.broker}` }, () => {
    after(() => real?.stop());

    it("logs each bad message once with its id, follows the policy, and keeps consuming and publishing", {
      timeout: 240_000,
    }, async () => {
      const figures = await matrix(target, real!.url);
      record("bad-input", target.name, figures);
      assert.deepEqual(figures.problems, [], JSON.stringify(figures.outcomes, null, 2));
    });
  });
}
