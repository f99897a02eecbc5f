// Connection loss: the server kills every Sluice connection; the plugin logs the outage, reconnects,
// re-subscribes and resumes its list and stream consumers, and messages flow again. On a private redis-server
// of its own (tests/_support/private): killing connections on the shared one would break other tests.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { createLogger } from "@sluice/core";
import { captureLogs, testBroker } from "@sluice/core/testing";
import { Redis } from "ioredis";
import { type PrivateBroker, privateBroker, privateSkip } from "../../../tests/_support/private/mod.ts";
import { redis } from "../mod.ts";
import { unique, until } from "./_support.ts";

describe("redis connection loss (real, private server)", {
  skip: privateSkip("redis", "private redis-server"),
}, () => {
  let server: PrivateBroker | undefined;
  before(async () => {
    server = await privateBroker("redis");
  });
  after(() => server?.dispose());

  it("reconnects, resumes Pub/Sub, list and stream consumers, and logs the outage", async () => {
    const logs = captureLogs();
    const broker = redis({ url: server!.url, logger: createLogger({ level: "debug", sink: logs.sink }) });
    const root = unique("outage");
    const seen = { pubsub: 0, list: 0, stream: 0 };
    broker.subscriber(`${root}.ch`).handle(() => void seen.pubsub++);
    broker.subscriber(`${root}.list`, { list: true }).handle(() => void seen.list++);
    broker.subscriber(`${root}.stream`, { stream: { group: "g", block: 200 } }).handle(() =>
      void seen.stream++
    );
    await using br = await testBroker(broker, { real: true });
    const send = async () => {
      await br.publish(1, `${root}.ch`);
      await br.publish(1, `${root}.list`, { list: true });
      await br.publish(1, `${root}.stream`, { stream: true });
    };
    await send();
    await until(() => seen.pubsub === 1 && seen.list === 1 && seen.stream === 1, "the first round");
    const admin = new Redis(server!.url, { maxRetriesPerRequest: 1, protocol: 2 });
    const clients = String(await admin.call("CLIENT", "LIST")).split("\n");
    const ids = clients.filter((line) => / name=sluice-/.test(line)).map((line) =>
      /id=(\d+)/.exec(line)![1]!
    );
    for (const id of ids) await admin.call("CLIENT", "KILL", "ID", id);
    admin.disconnect();
    await until(() => logs.find("warn", "Lost").length > 0, "the outage in the log");
    await until(() => logs.find("info", "Reconnected").length >= 3, "the reconnections in the log");
    await until(async () => {
      await send();
      return seen.pubsub >= 2;
    }, "Pub/Sub after the outage");
    await until(() => seen.list >= 2 && seen.stream >= 2, "list and stream after the outage");
    assert.ok(ids.length >= 4, `killed ${ids.length} connections`);
  });

  // A BLMOVE that Redis ran as the connection went down (a restart) moved its message into the consumer's
  // processing list, and the reply never came: no other consumer recovers that list while this one lives.
  // Here the move is made behind the consumer's back, then its connections are killed.
  it("returns a message moved to a list consumer's processing list while the connection was lost", async () => {
    const logs = captureLogs();
    const broker = redis({ url: server!.url, logger: createLogger({ level: "debug", sink: logs.sink }) });
    const key = unique("cutoff");
    const got: unknown[] = [];
    broker.subscriber(key, { list: { consumer: "only" } }).handle((body) => void got.push(body));
    await using br = await testBroker(broker, { real: true });
    const side = unique("cutoff-side");
    await br.publish({ n: 1 }, side, { list: true });
    const admin = new Redis(server!.url, { maxRetriesPerRequest: 1, protocol: 2 });
    try {
      await admin.lmove(side, `${key}:processing:only`, "LEFT", "RIGHT");
      await admin.call("CLIENT", "KILL", "TYPE", "normal", "SKIPME", "yes");
      await until(() => got.length > 0, "the cut-off message", 10_000);
      assert.deepEqual(got, [{ n: 1 }]);
      // The handler ran; its ack (an LREM from the processing list) follows, a round trip later.
      await until(async () => (await admin.llen(`${key}:processing:only`)) === 0, "the ack of the message");
      assert.equal(logs.find("warn", "moved while the connection was lost").length, 1);
    } finally {
      admin.disconnect();
    }
  });
});
