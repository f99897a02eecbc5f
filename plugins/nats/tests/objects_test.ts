// Object store watches (FastStream's obj_watch) and bucket access, on the emulation and on a real
// nats-server with JetStream.
import { after, describe, it } from "node:test";
import assert from "node:assert/strict";
import { createLogger } from "@sluice/core";
import { captureLogs, testBroker } from "@sluice/core/testing";
import { realBroker } from "../../../tests/_support/brokers.ts";
import { nats, OBJ_BUCKET_HEADER, OBJ_OPERATION_HEADER, OBJ_SIZE_HEADER } from "../mod.ts";
import { skipsOnRollup } from "../_obj_watch.ts";
import { removeTestStreams, serverVersion, targets, unique, until } from "./_support.ts";

const server = await realBroker("nats");
after(async () => {
  if (server) await removeTestStreams(server.url, /^OBJ_obj[0-9a-z]+/);
  await server?.stop();
});

const decoder = new TextDecoder();

for (const target of targets(server?.url)) {
  describe(`nats object store (${target.name})`, () => {
    it("watches a bucket: each put and delete gives the object's name, operation and size", async () => {
      const bucket = unique("obj");
      const logs = captureLogs();
      const broker = nats({
        servers: target.servers,
        logger: createLogger({ level: "warn", sink: logs.sink }),
      });
      const events: string[] = [];
      const contents: string[] = [];
      broker.subscriber(">", { objects: { bucket, storage: "memory" } }).handle(async (body, ctx) => {
        const name = String(body);
        const h = ctx.message.headers;
        events.push(
          `${h[OBJ_OPERATION_HEADER]} ${name} ${h[OBJ_SIZE_HEADER]} ${h[OBJ_BUCKET_HEADER] === bucket}`,
        );
        if (h[OBJ_OPERATION_HEADER] === "PUT") {
          const bytes = await (await broker.objects(bucket)).get(name);
          contents.push(decoder.decode(bytes));
        }
      });
      await using br = await testBroker(broker, { real: target.real });
      const store = await br.broker.objects(bucket);
      await store.put("report.csv", "a,b\n1,2\n");
      // The handler reads the object: it must still be there when it does.
      await until(() => contents.length === 1, 5000, "the handler to read the first object");
      await store.put("logo.png", new Uint8Array([137, 80, 78, 71]));
      // Each change waits for the watch to receive the last: every put and delete rolls up a metadata
      // subject, and nats-server 2.9 (Debian's) then moves the watch past what it had not received yet
      // (`skipsOnRollup`).
      await until(() => events.length === 2, 5000, "the second object's event");
      await store.delete("report.csv");
      await until(() => events.length === 3, 5000, "three object events").catch((e) => {
        throw new Error(`${e.message}: ${JSON.stringify(events)}`);
      });
      assert.deepEqual(events, ["PUT report.csv 8 true", "PUT logo.png 4 true", "DEL report.csv 0 true"]);
      assert.equal(contents[0], "a,b\n1,2\n");
      assert.deepEqual(await store.list(), ["logo.png"]);
      assert.equal(await store.get("report.csv"), undefined);
      // On a server that skips, the subscriber said so when it started; on the emulation and newer ones not.
      const skips = target.real && skipsOnRollup(await serverVersion(target.servers!));
      assert.equal(logs.find("warn", "can skip changes to object store").length, skips ? 1 : 0);
    });

    it("filters by a name pattern, skips deletes when asked, and with include last sees what was there", async () => {
      const bucket = unique("obj");
      const broker = nats({ servers: target.servers, logLevel: "error" });
      await using br = await testBroker(broker, { real: target.real });
      const store = await br.broker.objects(bucket);
      await store.put("invoices.1", "one");
      await store.put("notes.1", "n");
      const seen: string[] = [];
      const watcher = broker.subscriber("invoices.*", {
        objects: { bucket, include: "last", ignoreDeletes: true },
      });
      watcher.handle((name, ctx) =>
        void seen.push(`${ctx.message.headers[OBJ_OPERATION_HEADER]} ${String(name)}`)
      );
      await watcher.start();
      await until(() => seen.length === 1, 5000, "the object there before the watch");
      await store.put("invoices.2", "two");
      // The delete below rolls up a metadata subject: the watch must have received invoices.2 first.
      await until(() => seen.length === 2, 5000, "invoices.2");
      await store.put("notes.2", "n");
      await store.delete("invoices.1");
      await store.put("invoices.3", "three");
      await until(() => seen.length === 3, 5000, "the later invoices");
      await new Promise((resolve) => setTimeout(resolve, 200));
      assert.deepEqual(seen, ["PUT invoices.1", "PUT invoices.2", "PUT invoices.3"]);
    });

    it("refuses objects combined with kv, and a bad bucket name, naming the option", async () => {
      const broker = nats({ servers: target.servers, logLevel: "error" });
      broker.subscriber(">", { objects: "files", kv: "keys" }).handle(() => {});
      await assert.rejects(
        testBroker(broker, { real: target.real }),
        /"objects" watches an object store and cannot be combined/,
      );
      const other = nats({ servers: target.servers, logLevel: "error" });
      other.subscriber(">", { objects: "bad name" }).handle(() => {});
      await assert.rejects(testBroker(other, { real: target.real }), /objects/);
    });
  });
}

describe("nats object store: servers whose rollups skip a watch's changes", () => {
  it("are those before 2.10; an unknown version is taken for a current one", () => {
    for (const version of ["2.9.10", "2.9.25", "v2.9.0", "1.4.1"]) {
      assert.equal(skipsOnRollup(version), true, version);
    }
    for (const version of ["2.10.0", "2.10.24", "2.11.3", "3.0.0", undefined, "", "dev"]) {
      assert.equal(skipsOnRollup(version), false, String(version));
    }
  });
});
