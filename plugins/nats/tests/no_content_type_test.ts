// A message whose producer gave no content type arrives with `contentType` undefined, never "". Python
// FastStream publishes bytes with an empty `content-type` header (`content_type or ""`); a raw nats.js
// producer often sends no header at all. Both, on the emulation and on a real nats-server.
import { after, describe, it } from "node:test";
import assert from "node:assert/strict";
import { testBroker } from "@sluice/core/testing";
import { connect, headers } from "@nats-io/transport-node";
import { realBroker } from "../../../tests/_support/brokers.ts";
import { nats } from "../mod.ts";
import { targets, unique, until } from "./_support.ts";

const server = await realBroker("nats");
after(() => server?.stop());

interface Seen {
  body: unknown;
  contentType: string | undefined;
}

/** Bytes as an array of numbers: the client may hand over a Buffer. */
const plain = (body: unknown): unknown => body instanceof Uint8Array ? [...body] : body;

for (const target of targets(server?.url)) {
  describe(`nats without a content type (${target.name})`, () => {
    it("reports contentType undefined for no content-type header and for an empty one", async () => {
      const subject = `${unique()}.none`;
      const broker = nats({ servers: target.servers, logLevel: "error" });
      const seen: Seen[] = [];
      broker.subscriber(subject).handle((body, ctx) => {
        seen.push({ body: plain(body), contentType: ctx.message.contentType });
      });
      await using br = await testBroker(broker, { real: target.real });
      await br.publish(null, subject);
      await br.publish(null, subject, { headers: { "content-type": "" } });
      await until(() => seen.length === 2, 5000, "two messages");
      assert.deepEqual(seen, [
        { body: undefined, contentType: undefined },
        { body: undefined, contentType: undefined },
      ]);
    });
  });
}

describe(
  "nats without a content type, from a raw client (real)",
  { skip: server ? false : "no real nats" },
  () => {
    it("hands over FastStream's bytes (empty content-type header) as bytes, contentType undefined", async () => {
      const subject = `${unique()}.raw`;
      const broker = nats({ servers: server!.url, logLevel: "error" });
      const seen: Seen[] = [];
      broker.subscriber(subject).handle((body, ctx) => {
        seen.push({ body: plain(body), contentType: ctx.message.contentType });
      });
      await using _br = await testBroker(broker, { real: true });
      const nc = await connect({ servers: server!.url, reconnect: false });
      try {
        const h = headers();
        h.set("content-type", "");
        h.set("correlation_id", "corr-1");
        nc.publish(subject, new Uint8Array([0, 1, 2]), { headers: h });
        nc.publish(subject, new Uint8Array([3, 4]));
        await nc.flush();
        await until(() => seen.length === 2, 5000, "two messages");
      } finally {
        await nc.close();
      }
      assert.deepEqual(seen, [
        { body: [0, 1, 2], contentType: undefined },
        { body: [3, 4], contentType: undefined },
      ]);
    });
  },
);
