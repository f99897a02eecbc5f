// Key-value watches and bucket access, on the emulation and on a real nats-server.
import { after, describe, it } from "node:test";
import assert from "node:assert/strict";
import { testBroker } from "@sluice/core/testing";
import { realBroker } from "../../../tests/_support/brokers.ts";
import { KV_OPERATION_HEADER, nats } from "../mod.ts";
import { removeTestStreams, targets, unique, until } from "./_support.ts";

const server = await realBroker("nats");
after(async () => {
  if (server) await removeTestStreams(server.url, /^KV_kv[0-9a-z]+/);
  await server?.stop();
});

for (const target of targets(server?.url)) {
  describe(`nats key-value (${target.name})`, () => {
    it("watches keys matching a pattern and sees puts and deletes", async () => {
      const bucket = unique("kv");
      const broker = nats({ servers: target.servers, logLevel: "error" });
      const events: { key: string; id: string; op: string; body: unknown }[] = [];
      broker.subscriber("user.{id}", { kv: { bucket, storage: "memory" } }).handle((body, ctx) => {
        events.push({
          key: ctx.message.channel,
          id: ctx.path.id,
          op: ctx.message.headers[KV_OPERATION_HEADER]!,
          body,
        });
      });
      await using br = await testBroker(broker, { real: target.real });
      const users = await br.broker.kv(bucket);
      await users.put("user.1", { name: "Ada" });
      await users.put("order.9", { total: 3 });
      await users.put("user.2", "Grace");
      await users.delete("user.1");
      await until(() => events.length === 3, 5000, "three key events");
      await new Promise((resolve) => setTimeout(resolve, 200));
      assert.deepEqual(events, [
        { key: "user.1", id: "1", op: "PUT", body: { name: "Ada" } },
        { key: "user.2", id: "2", op: "PUT", body: "Grace" },
        { key: "user.1", id: "1", op: "DEL", body: undefined },
      ]);
      assert.equal(await users.get("user.1"), undefined);
      assert.equal((await users.get("user.2"))?.value, "Grace");
      assert.deepEqual((await users.keys()).sort(), ["order.9", "user.2"]);
    });

    it("lets a handler read and write a bucket", async () => {
      const bucket = unique("kv");
      const subject = `${unique()}.visit`;
      const broker = nats({ servers: target.servers, logLevel: "error" });
      broker.subscriber(subject).handle(async (user: unknown) => {
        const counts = await broker.kv(bucket);
        const seen = (await counts.get(user as string))?.value as number | undefined;
        await counts.put(user as string, (seen ?? 0) + 1);
      });
      await using br = await testBroker(broker, { real: target.real });
      await br.publish("ada", subject);
      await br.settled();
      await br.publish("ada", subject);
      await br.settled();
      const counts = await br.broker.kv(bucket);
      assert.equal((await counts.get("ada"))?.value, 2);
    });
  });
}
