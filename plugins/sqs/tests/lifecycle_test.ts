// Lifecycle on the real server: a prompt stop despite long polling, the temporary reply queue, queues by
// URL, an outage of the connection, and a queue that vanished under a subscriber.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import net from "node:net";
import { CreateQueueCommand, DeleteQueueCommand, GetQueueUrlCommand, SQSClient } from "@aws-sdk/client-sqs";
import { testBroker } from "@sluice/core/testing";
import { sqsClientConfig } from "../../../tests/_support/brokers.ts";
import { sqs } from "../mod.ts";
import { brokerFor, server, unique, until } from "./_helpers.ts";

/** A TCP proxy to the server that can drop every connection and refuse new ones for a while. */
function proxy(target: URL): Promise<{ port: number; outage(ms: number): Promise<void>; close(): void }> {
  const sockets = new Set<net.Socket>();
  const serve = () =>
    net.createServer((client) => {
      const upstream = net.connect(Number(target.port), target.hostname);
      for (const s of [client, upstream]) {
        sockets.add(s);
        s.on("close", () => sockets.delete(s));
        s.on("error", () => s.destroy());
      }
      client.pipe(upstream).pipe(client);
    });
  let listener = serve();
  return new Promise((resolve) => {
    listener.listen(0, "127.0.0.1", () => {
      const port = (listener.address() as net.AddressInfo).port;
      resolve({
        port,
        async outage(ms) {
          await new Promise<void>((done) => {
            listener.close(() => done());
            for (const s of sockets) s.destroy();
          });
          await new Promise((r) => setTimeout(r, ms));
          listener = serve();
          await new Promise<void>((done) => listener.listen(port, "127.0.0.1", () => done()));
        },
        close() {
          listener.close();
          for (const s of sockets) s.destroy();
        },
      });
    });
  });
}

const real = { name: "ElasticMQ", real: true };

describe("sqs lifecycle (ElasticMQ)", { skip: server ? false : "no real sqs" }, () => {
  let client: SQSClient;
  before(() => {
    client = new SQSClient({ ...sqsClientConfig(server!.url), maxAttempts: 1 });
  });
  after(() => client.destroy());

  it("stops promptly although a receive is long-polling for 20 s", async () => {
    const { broker } = brokerFor(real, { waitTimeSeconds: 20 });
    broker.subscriber(unique("idle")).handle(() => {});
    const br = await testBroker(broker, { real: true });
    await new Promise((r) => setTimeout(r, 200));
    const started = Date.now();
    await br.close();
    assert.ok(Date.now() - started < 2000, `close took ${Date.now() - started} ms`);
  });

  it("answers requests over a temporary reply queue that is deleted on close", async () => {
    const queue = unique("rpc");
    const { broker } = brokerFor(real);
    broker.subscriber(queue).handle((n: unknown) => (n as number) + 1);
    const br = await testBroker(broker, { real: true });
    const reply = await broker.request(41, queue, { timeout: 5000 });
    assert.equal(reply.body, 42);
    const { QueueUrls = [] } = await client.send(
      new (await import("@aws-sdk/client-sqs")).ListQueuesCommand({ QueueNamePrefix: "sluice-reply-" }),
    );
    const before = QueueUrls.length;
    assert.ok(before >= 1);
    await br.close();
    const { QueueUrls: left = [] } = await client.send(
      new (await import("@aws-sdk/client-sqs")).ListQueuesCommand({ QueueNamePrefix: "sluice-reply-" }),
    );
    assert.equal(left.length, before - 1);
  });

  it("uses an existing queue by URL, declared or as the channel", async () => {
    const name = unique("byurl");
    const { QueueUrl } = await client.send(new CreateQueueCommand({ QueueName: name }));
    const { broker } = brokerFor(real, { createQueues: false, queues: { orders: { url: QueueUrl } } });
    const handler = broker.subscriber("orders").handle(() => {});
    await using _br = await testBroker(broker, { real: true });
    await broker.publish("via name", "orders");
    await broker.publish("via url", QueueUrl!);
    await until(() => handler.mock.calls.length === 2, 10_000, "two messages");
    assert.deepEqual(handler.mock.calls.map((c) => c.body).sort(), ["via name", "via url"]);
  });

  it("logs an outage, keeps retrying, and resumes consuming when the server is back", async () => {
    const relay = await proxy(new URL(server!.url.replace(/^sqs:/, "http:")));
    try {
      const queue = unique("outage");
      // The producer talks to the server directly, the consumer through the proxy.
      // A poll cut by the outage may still take a message on the server side: it comes back after the
      // visibility timeout, as on SQS, so keep that short.
      const queues = { [queue]: { visibilityTimeout: 2 } };
      const { broker: producer } = brokerFor(real, { queues });
      const { broker: consumer, logs } = brokerFor(real, { waitTimeSeconds: 1, client: { maxAttempts: 1 } });
      const proxied = sqs({
        url: `sqs://127.0.0.1:${relay.port}`,
        queues,
        waitTimeSeconds: 1,
        logger: consumer.logger,
      });
      const handler = proxied.subscriber(queue).handle(() => {});
      await using _p = await testBroker(producer, { real: true });
      await using _c = await testBroker(proxied, { real: true });
      await producer.publish("before", queue);
      await until(() => handler.mock.calls.length === 1, 10_000, "the first message");
      const outage = relay.outage(2500);
      await new Promise((r) => setTimeout(r, 300));
      await producer.publish("during", queue);
      await outage;
      // At least once: "before" may come again too, if the outage cut its deletion.
      const bodies = () => handler.mock.calls.map((c) => c.body);
      await until(() => bodies().includes("during"), 20_000, "the message sent during the outage");
      assert.equal(logs.find("warn", "Cannot receive from queue").length, 1);
      assert.ok(logs.find("info", "again").length >= 1);
    } finally {
      relay.close();
    }
  });

  it("declares a queue again when it vanished under a subscriber", async () => {
    const queue = unique("vanish");
    const { broker, logs } = brokerFor(real, { waitTimeSeconds: 1 });
    const handler = broker.subscriber(queue).handle(() => {});
    await using _br = await testBroker(broker, { real: true });
    const { QueueUrl } = await client.send(new GetQueueUrlCommand({ QueueName: queue }));
    await client.send(new DeleteQueueCommand({ QueueUrl }));
    await until(
      () => logs.find("info", `Declared queue ${queue} again`).length === 1,
      20_000,
      "re-declaration",
    ).catch((e) => {
      console.log(logs.records.map((r) => r.level + " " + r.message));
      throw e;
    });
    await broker.publish("after", queue);
    await until(() => handler.mock.calls.length === 1, 10_000, "the message");
  });
});
