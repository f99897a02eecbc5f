// Reconnection against a real broker: connections closed by the server, and the broker's application
// restarted mid-stream. Consumers, declarations and the publish channel come back; nothing confirmed is lost.
// (The emulation has no connection to lose.) It runs on a private RabbitMQ node of its own
// (tests/_support/private): closing every connection of the shared node would break other tests running on it.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { createLogger } from "@sluice/core";
import { captureLogs, testBroker } from "@sluice/core/testing";
import { privateSkip } from "../../../tests/_support/private/mod.ts";
import { type PrivateRabbitmq, privateRabbitmq } from "../../../tests/_support/private/rabbitmq.ts";
import { rabbitmq } from "../mod.ts";
import { pause, unique, until } from "./_targets.ts";

let node: PrivateRabbitmq | undefined;

async function flow(outage: () => Promise<void>, durable: boolean) {
  const logs = captureLogs();
  const broker = rabbitmq({
    url: node!.url.replace("amqp://", "amqp://guest:guest@"),
    logger: createLogger({ level: "debug", sink: logs.sink }),
    reconnect: { initialDelay: 100, maxDelay: 500 },
  });
  const ch = unique("flow.");
  const group = unique("flow-");
  const received = new Set<number>();
  broker.subscriber(ch, { group, queue: { durable, expires: 120_000 }, prefetch: 20 }).handle((n) => {
    received.add(n as number);
  });
  const fanout = new Set<number>();
  broker.subscriber(ch).handle((n) => {
    fanout.add(n as number);
  });
  await using br = await testBroker(broker, { real: true });
  const confirmed: number[] = [];
  let stop = false;
  const publishing = (async () => {
    for (let i = 0; !stop; i++) {
      await br.publish(i, ch);
      confirmed.push(i);
      await pause(5);
    }
  })();
  await until(() => received.size >= 20, "the flow to start", 10_000);
  await outage();
  const before = confirmed.length;
  await until(() => confirmed.length > before + 20, "publishing to resume", 60_000);
  stop = true;
  await publishing;
  await until(() => confirmed.every((i) => received.has(i)), "every confirmed message", 30_000);
  assert.ok(logs.find("warn", "Lost the connection").length >= 1, "the outage is logged");
  assert.ok(logs.find("info", "Reconnected").length >= 1, "the reconnection is logged");
  assert.ok(logs.records.every((r) => !r.message.includes("guest:guest")), "no credentials in logs");
  // The fan-out subscriber's exclusive queue came back too: the last messages reach it.
  await until(() => fanout.has(confirmed.at(-1)!), "the fan-out subscriber after the outage", 10_000);
  return { confirmed: confirmed.length, received: received.size };
}

describe("reconnection (real, private node)", { skip: privateSkip("amqp", "private RabbitMQ node") }, () => {
  before(async () => {
    node = await privateRabbitmq();
  });
  after(() => node?.dispose());

  it("comes back after the server closes every connection; nothing confirmed is lost", {
    timeout: 120_000,
  }, async () => {
    const result = await flow(
      () => node!.ctl("close_all_connections", "sluice reconnect test").then(() => {}),
      false,
    );
    assert.ok(result.received >= result.confirmed);
  });

  it(
    "comes back after RabbitMQ restarts mid-stream; durable queue, persistent messages, nothing confirmed lost",
    {
      timeout: 180_000,
    },
    async () => {
      const result = await flow(async () => {
        await node!.ctl("stop_app");
        await pause(500);
        await node!.ctl("start_app");
        await node!.ctl("await_startup");
      }, true);
      assert.ok(result.received >= result.confirmed);
    },
  );
});
