/**
 * The cells every channel shares — JSON objects, text, bytes, headers, correlation ids, content types, empty
 * bodies, integer header values and request/reply, both ways — written once over a {@linkcode Wire}: how
 * Sluice and FastStream publish to and subscribe on one kind of destination of one broker.
 */
import assert from "node:assert/strict";
import type { PublishOptions, Reply, RequestCallOptions } from "@sluice/core";
import { type } from "arktype";
import { type Aspect, type Direction, FROM_PY, Inbox, type Matrix, TO_PY } from "./_matrix.ts";
import { fromBase64, type Peer, py, type PyBody, type PyMessage, type PySubscriber } from "./_peer.ts";

/** The JSON object both sides validate (pydantic's Order on the Python side). */
export const Order = type({ id: "number.integer", item: "string", qty: "number.integer" });
/** FastStream's reply to an Order (pydantic's Quote). */
export const Quote = type({ order_id: "number.integer", total: "number", by: "string" });

/** Options of a Sluice subscriber the cases need. */
export interface SluiceSubscribe {
  readonly schema?: typeof Order;
  readonly batch?: { readonly size: number; readonly timeout: number };
}

/** One kind of destination on one broker, from both sides. */
export interface Wire {
  /** The channel's name in the matrix, e.g. `redis list`. */
  readonly channel: string;
  /** A destination of its own for one cell. */
  dest(name: string): string;
  /** The FastStream subscriber on `dest`. */
  pySubscriber(id: string, dest: string, handler: PySubscriber["handler"]): PySubscriber;
  /** FastStream's publish arguments for `dest` (`{"topic": dest}`, `{"list": dest}`…). */
  pyTarget(dest: string): Record<string, unknown>;
  /** Which of the peer's brokers publishes. */
  readonly via?: string;
  /** Subscribes a Sluice handler on `dest` (before the broker starts). */
  subscribe(dest: string, options: SluiceSubscribe, handler: ReturnType<Inbox["handler"]>): void;
  /** Publishes from Sluice to `dest`. */
  publish(body: unknown, dest: string, options?: PublishOptions): Promise<void>;
  /** Sends a request from Sluice to `dest`. */
  request(
    body: unknown,
    dest: string,
    options: RequestCallOptions<typeof Quote>,
  ): Promise<Reply<typeof Quote.infer>>;
  /** FastStream's request to `dest`, when its `request()` does not serve (Kafka): the reply as it read it. */
  pyRequest?(peer: Peer, body: PyBody, dest: string, correlationId: string): Promise<PyMessage>;
  /** FastStream's request arguments for `dest` when they differ from {@linkcode pyTarget}'s. */
  pyRequestTarget?(dest: string): { args?: unknown[]; kwargs: Record<string, unknown> };
  /** Only the body travels (MQTT 3.1.1): no content type, so both sides infer it from the bytes. */
  readonly bodyOnly?: boolean;
  /** The error FastStream 0.7.8 raises for an integer header value, where it cannot send one. */
  readonly pyRefusesIntegerHeaders?: RegExp;
  /** Cells this channel cannot have, and why; `to` and `from` name one direction only. */
  readonly none?: Partial<Record<Aspect, string | { readonly to?: string; readonly from?: string }>>;
  /** Cells the broker's own file tests its own way (the shared ones are left out). */
  readonly own?: readonly `${Aspect} ${"to" | "from"}`[];
}

/** The peer of a running file, set by its `before` hook. */
export interface Running {
  peer: Peer;
}

/** Collects the FastStream subscribers a file's cells need, for the peer's start. */
export class Plan {
  readonly subscribers: PySubscriber[] = [];
  #next = 0;

  /** Adds a FastStream subscriber and returns its id. */
  add(make: (id: string) => PySubscriber): string {
    const subscriber = make(`s${++this.#next}`);
    this.subscribers.push(subscriber);
    return subscriber.id;
  }
}

const ORDER = { id: 7, item: "tea", qty: 3 } as const;
const BYTES = new Uint8Array([0, 1, 2, 0x7f, 0x80, 0xfe, 0xff]);
const TEXT = "grüße from both sides ✓";
/** Text that parses as JSON: its content type, not a guess, must keep it text. */
const JSON_LOOKING = '{"looks": "like JSON"}';
const HEADERS = { "x-tenant": "acme", "x-city": "Zürich" } as const;

const uniqueId = (what: string) => `${what}-${crypto.randomUUID().slice(0, 8)}`;

/** Decodes a body FastStream described, as the type FastStream gave it. */
function pyValue(body: PyBody): { type: string; value: unknown } {
  if ("none" in body) return { type: "None", value: null };
  if ("model" in body) return { type: body.model, value: body.json };
  if ("bytes" in body) return { type: "bytes", value: fromBase64(body.bytes) };
  if ("text" in body) return { type: "str", value: body.text };
  if ("batch" in body) return { type: "list", value: body.batch.map((b) => pyValue(b)) };
  return { type: "json", value: body.json };
}

/** User headers FastStream saw, without the standard fields it reads from them. */
function userHeaders(message: PyMessage): Record<string, unknown> {
  const standard = new Set(["content-type", "correlation_id", "reply_to", "message_id"]);
  return Object.fromEntries(Object.entries(message.headers).filter(([name]) => !standard.has(name)));
}

/** What applies to `aspect` in `direction` on `wire`: a reason when nothing does. */
export function excluded(wire: Wire, aspect: Aspect, direction: Direction): string | undefined {
  const none = wire.none?.[aspect];
  if (none === undefined) return undefined;
  if (typeof none === "string") return none;
  return direction === TO_PY ? none.to : none.from;
}

/**
 * Declares the shared cells of `wire` in `matrix`: FastStream subscribers go into `plan`, Sluice subscribers
 * onto the wire's broker at once; the cells run once `running.peer` is set.
 */
export function sharedCells(matrix: Matrix, wire: Wire, plan: Plan, running: Running): void {
  const own = (aspect: Aspect, direction: Direction) =>
    wire.own?.includes(`${aspect} ${direction === TO_PY ? "to" : "from"}`) ?? false;
  const skipped = (aspect: Aspect, direction: Direction) =>
    own(aspect, direction) || excluded(wire, aspect, direction) !== undefined;
  /** The destination of one cell: `json-object-pydantic-model-py`. */
  const dest = (aspect: Aspect, side: "py" | "ts") =>
    wire.dest(`${aspect.replace(/[^a-z0-9]+/g, "-").replace(/-$/, "")}-${side}`);
  const cell = (aspect: Aspect, direction: Direction, test: () => Promise<void>, note?: string) => {
    if (own(aspect, direction)) return;
    const why = excluded(wire, aspect, direction);
    if (why) matrix.none(wire.channel, direction, aspect, why);
    else matrix.cell(wire.channel, direction, aspect, test, note);
  };
  /** A FastStream subscriber on a destination of its own, and that destination. */
  const toPy = (aspect: Aspect, handler: PySubscriber["handler"]) => {
    if (skipped(aspect, TO_PY)) return { dest: "", sub: "" };
    const to = dest(aspect, "py");
    return { dest: to, sub: plan.add((id) => wire.pySubscriber(id, to, handler)) };
  };
  /** A Sluice subscriber on a destination of its own. */
  const fromPy = (aspect: Aspect, options: SluiceSubscribe = {}, reply?: (body: unknown) => unknown) => {
    const inbox = new Inbox();
    if (skipped(aspect, FROM_PY)) return { dest: "", inbox };
    const from = dest(aspect, "ts");
    wire.subscribe(from, options, inbox.handler(reply));
    return { dest: from, inbox };
  };
  const publishFromPy = (body: PyBody, dest: string, kwargs: Record<string, unknown> = {}) =>
    running.peer.publish(body, { ...wire.pyTarget(dest), ...kwargs }, wire.via);

  // A JSON object: validated by a pydantic model on the Python side, by arktype on Sluice's.
  {
    const to = toPy("json object (pydantic model)", "order");
    cell("json object (pydantic model)", TO_PY, async () => {
      await wire.publish({ ...ORDER }, to.dest);
      const got = await running.peer.next(to.sub);
      assert.deepEqual(pyValue(got.body), { type: "Order", value: ORDER });
      assert.equal(got.content_type, wire.bodyOnly ? null : "application/json");
    });
    const from = fromPy("json object (pydantic model)", { schema: Order });
    cell("json object (pydantic model)", FROM_PY, async () => {
      await publishFromPy(py.order(ORDER), from.dest);
      const got = await from.inbox.next(from.dest);
      assert.deepEqual(got.body, ORDER);
      assert.equal(got.contentType, "application/json");
    });
  }

  // Text.
  {
    const to = toPy("text", "any");
    cell("text", TO_PY, async () => {
      await wire.publish(TEXT, to.dest);
      const got = await running.peer.next(to.sub);
      assert.deepEqual(pyValue(got.body), { type: "str", value: TEXT });
    });
    const from = fromPy("text");
    cell("text", FROM_PY, async () => {
      await publishFromPy(py.text(TEXT), from.dest);
      const got = await from.inbox.next(from.dest);
      assert.equal(got.body, TEXT);
      assert.equal(got.contentType, "text/plain");
    });
  }

  // Bytes: Sluice labels them application/octet-stream, FastStream sends none.
  {
    const to = toPy("bytes", "any");
    cell("bytes", TO_PY, async () => {
      await wire.publish(BYTES, to.dest);
      const got = await running.peer.next(to.sub);
      assert.deepEqual(pyValue(got.body), { type: "bytes", value: BYTES });
      if (!wire.bodyOnly) assert.equal(got.content_type, "application/octet-stream");
    });
    const from = fromPy("bytes");
    cell("bytes", FROM_PY, async () => {
      await publishFromPy(py.bytes(BYTES), from.dest);
      const got = await from.inbox.next(from.dest);
      // A Uint8Array (some clients hand over a Node Buffer, which is one): compared by content.
      assert.ok(got.body instanceof Uint8Array, `not bytes: ${got.body}`);
      assert.deepEqual([...got.body], [...BYTES]);
      assert.equal(got.contentType, wire.bodyOnly ? "application/octet-stream" : undefined);
    });
  }

  // User headers, one of them not ASCII.
  {
    const to = toPy("headers", "any");
    cell("headers", TO_PY, async () => {
      await wire.publish({ n: 1 }, to.dest, { headers: HEADERS });
      const got = await running.peer.next(to.sub);
      assert.deepEqual(userHeaders(got), HEADERS);
    });
    const from = fromPy("headers");
    cell("headers", FROM_PY, async () => {
      await publishFromPy(py.json({ n: 1 }), from.dest, { headers: HEADERS });
      const got = await from.inbox.next(from.dest);
      // Beside NATS's own headers: FastStream's JetStream publishes carry Nats-Expected-Stream.
      const user = Object.entries(got.headers).filter(([name]) => !name.startsWith("Nats-"));
      assert.deepEqual(Object.fromEntries(user), HEADERS);
    });
  }

  // The correlation id.
  {
    const to = toPy("correlation id", "any");
    cell("correlation id", TO_PY, async () => {
      const correlationId = uniqueId("corr-ts");
      await wire.publish({ n: 2 }, to.dest, { correlationId });
      const got = await running.peer.next(to.sub);
      assert.equal(got.correlation_id, correlationId);
    });
    const from = fromPy("correlation id");
    cell("correlation id", FROM_PY, async () => {
      const correlationId = uniqueId("corr-py");
      await publishFromPy(py.json({ n: 2 }), from.dest, { correlation_id: correlationId });
      const got = await from.inbox.next(from.dest);
      assert.equal(got.correlationId, correlationId);
    });
  }

  // The content type decides how a body decodes: text that looks like JSON stays text.
  {
    const to = toPy("content type", "any");
    cell("content type", TO_PY, async () => {
      await wire.publish(JSON_LOOKING, to.dest);
      const text = await running.peer.next(to.sub);
      assert.equal(text.content_type, "text/plain");
      assert.deepEqual(pyValue(text.body), { type: "str", value: JSON_LOOKING });
      await wire.publish({ n: 3 }, to.dest, { contentType: "application/json" });
      const json = await running.peer.next(to.sub);
      assert.equal(json.content_type, "application/json");
      assert.deepEqual(pyValue(json.body), { type: "json", value: { n: 3 } });
    });
    const from = fromPy("content type");
    cell("content type", FROM_PY, async () => {
      await publishFromPy(py.text(JSON_LOOKING), from.dest);
      const text = await from.inbox.next(from.dest);
      assert.equal(text.contentType, "text/plain");
      assert.equal(text.body, JSON_LOOKING);
      await publishFromPy(py.json({ n: 3 }), from.dest);
      const json = await from.inbox.next(from.dest);
      assert.equal(json.contentType, "application/json");
      assert.deepEqual(json.body, { n: 3 });
    });
  }

  // An empty body: Sluice's undefined, FastStream's None.
  {
    const to = toPy("empty body (None)", "any");
    cell("empty body (None)", TO_PY, async () => {
      await wire.publish(undefined, to.dest);
      const got = await running.peer.next(to.sub);
      // FastStream decodes an empty body without content type as b"" (as "" when it sniffs MQTT 3.1.1's).
      const empty = wire.bodyOnly ? { type: "str", value: "" } : { type: "bytes", value: new Uint8Array(0) };
      assert.deepEqual(pyValue(got.body), empty);
      assert.ok(!got.content_type, `FastStream read the content type ${got.content_type}`);
    });
    const from = fromPy("empty body (None)");
    cell("empty body (None)", FROM_PY, async () => {
      await publishFromPy(py.none(), from.dest);
      const got = await from.inbox.next(from.dest);
      assert.equal(got.body, undefined);
      assert.equal(got.contentType, undefined);
    });
  }

  // An integer header value from FastStream arrives as its decimal text (Sluice's headers are strings), where
  // FastStream can send one at all.
  {
    const from = fromPy("integer header value");
    const refused = wire.pyRefusesIntegerHeaders;
    cell("integer header value", FROM_PY, async () => {
      const publishing = publishFromPy(py.json({ n: 4 }), from.dest, { headers: { "x-count": 7 } });
      if (refused) return await assert.rejects(publishing, refused);
      await publishing;
      const got = await from.inbox.next(from.dest);
      assert.equal(got.headers["x-count"], "7");
    }, refused ? "FastStream 0.7.8 refuses to send one: asserted" : undefined);
    matrix.none(wire.channel, TO_PY, "integer header value", "Sluice's header values are strings");
  }

  // Request/reply: a pydantic Quote for Sluice's request, Sluice's answer for FastStream's.
  {
    const to = toPy("request/reply", "quote");
    cell("request/reply", TO_PY, async () => {
      const correlationId = uniqueId("rpc-ts");
      const reply = await wire.request({ ...ORDER }, to.dest, {
        schema: Quote,
        timeout: 10_000,
        correlationId,
      });
      assert.deepEqual(reply.body, { order_id: 7, total: 7.5, by: "faststream" });
      assert.equal(reply.contentType, wire.bodyOnly ? undefined : "application/json");
      const request = await running.peer.next(to.sub);
      assert.deepEqual(pyValue(request.body), { type: "Order", value: ORDER });
      assert.ok(request.reply_to, "FastStream saw no reply address");
      if (!wire.bodyOnly) assert.equal(reply.correlationId, request.correlation_id);
    });
    const from = fromPy("request/reply", { schema: Order }, (order) => ({
      order_id: (order as typeof Order.infer).id,
      total: (order as typeof Order.infer).qty * 2,
      by: "sluice",
    }));
    cell("request/reply", FROM_PY, async () => {
      const correlationId = uniqueId("rpc-py");
      const reply = wire.pyRequest
        ? await wire.pyRequest(running.peer, py.order(ORDER), from.dest, correlationId)
        : await pyRequest(running.peer, wire, py.order(ORDER), from.dest, correlationId);
      assert.deepEqual(pyValue(reply.body), { type: "json", value: { order_id: 7, total: 6, by: "sluice" } });
      assert.equal(reply.correlation_id, correlationId);
      assert.equal(reply.content_type, "application/json");
      const got = await from.inbox.next(from.dest);
      assert.equal(got.correlationId, correlationId);
      assert.ok(got.replyTo, "Sluice saw no reply address");
    });
  }
}

/** FastStream's `request()` to `dest`, with a correlation id of the test's. */
function pyRequest(peer: Peer, wire: Wire, body: PyBody, dest: string, correlationId: string) {
  const target = wire.pyRequestTarget?.(dest) ?? { kwargs: wire.pyTarget(dest) };
  const kwargs = { ...target.kwargs, timeout: 10, correlation_id: correlationId };
  return peer.request(body, kwargs, wire.via, target.args);
}

/**
 * The next `count` messages FastStream's batch subscriber `sub` received, as `{ <Python type>: value }`: the
 * broker may hand them over in more than one batch.
 */
export async function pyBatch(peer: Peer, sub: string, count: number): Promise<unknown[]> {
  const items: unknown[] = [];
  while (items.length < count) {
    const message = await peer.next(sub);
    const body = pyValue(message.body);
    assert.equal(body.type, "list", `not a batch: ${JSON.stringify(message.body)}`);
    items.push(...(body.value as { type: string; value: unknown }[]).map((b) => ({ [b.type]: b.value })));
  }
  return items;
}
