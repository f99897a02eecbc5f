// Sluice and Python FastStream 0.7.8 on one real MQTT broker (Mosquitto): MQTT 5 and MQTT 3.1.1, both ways.
import { after, before, describe } from "node:test";
import assert from "node:assert/strict";
import { testBroker } from "@sluice/core/testing";
import { mqtt } from "@sluice/mqtt";
import { realBroker } from "../_support/brokers.ts";
import { faststreamPython } from "../_support/python.ts";
import { Order, Plan, type Running, sharedCells, type Wire } from "./_cases.ts";
import { FROM_PY, Inbox, Matrix, TO_PY } from "./_matrix.ts";
import { Peer, py } from "./_peer.ts";

const python = faststreamPython();
const server = python ? await realBroker("mqtt") : undefined;
const matrix = new Matrix("mqtt");

describe("interop: mqtt", { skip: server ? false : "no Python FastStream or no real mqtt" }, () => {
  const run = `interop-${Date.now().toString(36)}`;
  const v5 = mqtt({ url: server!.url, protocol: "5", logLevel: "error" });
  const v311 = mqtt({ url: server!.url, protocol: "3.1.1", logLevel: "error" });
  const plan = new Plan();
  const running = {} as Running;
  let stop: (() => Promise<void>) | undefined;

  before(async () => {
    const [peer, br5, br311] = await Promise.all([
      Peer.start(python!, "mqtt", server!.url, plan.subscribers),
      testBroker(v5, { real: true }),
      testBroker(v311, { real: true }),
    ]);
    running.peer = peer;
    stop = async () => void await Promise.allSettled([peer.close(), br5.close(), br311.close()]);
  });
  after(async () => {
    await stop?.();
    await server!.stop();
    console.log(matrix.summary());
  });

  const wire = (version: "5.0" | "3.1.1", broker: typeof v5): Wire => ({
    channel: `mqtt ${version}`,
    dest: (name) => `${run}/${version}/${name}`,
    via: version,
    pySubscriber: (id, dest, handler) => ({ id, handler, args: [dest], kwargs: { qos: 1 }, via: version }),
    pyTarget: (dest) => ({ topic: dest, qos: 1 }),
    // FastStream's MQTT request() takes its topic positionally.
    pyRequestTarget: (dest) => ({ args: [dest], kwargs: { qos: 1 } }),
    subscribe: (dest, options, handler) => void broker.subscriber(dest, options).handle(handler),
    publish: (body, dest, options) => broker.publish(body, dest, options),
    request: (body, dest, options) => broker.request(body, dest, options),
  });
  const onlyBody = "MQTT 3.1.1 carries only the body";
  sharedCells(matrix, wire("5.0", v5), plan, running);
  sharedCells(
    matrix,
    {
      ...wire("3.1.1", v311),
      bodyOnly: true,
      none: {
        headers: `${onlyBody}: both sides refuse to publish headers`,
        "correlation id": `${onlyBody}: both sides drop it`,
        "integer header value": { from: `${onlyBody}: both sides refuse to publish headers` },
        "request/reply": {
          to: "Sluice's request needs MQTT 5's Response Topic; FastStream's 3.1.1 handlers cannot reply",
        },
      },
      own: ["request/reply from", "content type to", "content type from"],
    },
    plan,
    running,
  );

  // FastStream's MQTT 3.1.1 request() waits on a reply topic it names: a Sluice subscriber answers by
  // publishing there.
  {
    const dest = `${run}/3.1.1/rpc-ts`;
    const replies = `${run}/3.1.1/rpc-ts/replies`;
    const inbox = new Inbox();
    v311.subscriber(dest, { schema: Order }).publisher(replies).handle(
      inbox.handler((order) => ({ order_id: (order as typeof Order.infer).id, total: 6, by: "sluice" })),
    );
    matrix.cell("mqtt 3.1.1", FROM_PY, "request/reply", async () => {
      const reply = await running.peer.request(
        py.order({ id: 7, item: "tea", qty: 3 }),
        { timeout: 10, reply_to: replies, qos: 1 },
        "3.1.1",
        [dest],
      );
      assert.deepEqual(reply.body, { json: { order_id: 7, total: 6, by: "sluice" } });
      assert.deepEqual((await inbox.next(dest)).body, { id: 7, item: "tea", qty: 3 });
    }, "FastStream's request(reply_to=…), answered by a Sluice publisher to that topic");
  }
  // MQTT 3.1.1 carries no content type: each side infers one from the bytes, so text that parses as JSON
  // arrives as JSON. Asserted, so that the README's word on it stays true.
  {
    const dest = `${run}/3.1.1/content-type-py`;
    const sub = plan.add((id) => ({ id, handler: "any", args: [dest], kwargs: { qos: 1 }, via: "3.1.1" }));
    matrix.cell("mqtt 3.1.1", TO_PY, "content type", async () => {
      await v311.publish('{"looks": "like JSON"}', dest);
      const got = await running.peer.next(sub);
      assert.equal(got.content_type, null);
      assert.deepEqual(got.body, { json: { looks: "like JSON" } });
    }, "none on the wire: FastStream infers JSON from text that parses as JSON");
  }
  {
    const dest = `${run}/3.1.1/content-type-ts`;
    const inbox = new Inbox();
    v311.subscriber(dest).handle(inbox.handler());
    matrix.cell("mqtt 3.1.1", FROM_PY, "content type", async () => {
      await running.peer.publish(py.text('{"looks": "like JSON"}'), { topic: dest, qos: 1 }, "3.1.1");
      const got = await inbox.next(dest);
      assert.equal(got.contentType, "application/json");
      assert.deepEqual(got.body, { looks: "like JSON" });
    }, "none on the wire: Sluice infers JSON from text that parses as JSON");
  }
  for (const channel of ["mqtt 5.0", "mqtt 3.1.1"]) {
    for (const direction of [TO_PY, FROM_PY]) {
      matrix.none(channel, direction, "key", "MQTT messages have no key");
      matrix.none(channel, direction, "batch", "FastStream 0.7.8 has no batches on MQTT");
    }
  }
});
