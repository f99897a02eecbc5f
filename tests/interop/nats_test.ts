// Sluice and Python FastStream 0.7.8 on one real NATS server: core NATS and JetStream, both ways.
import { after, before, describe } from "node:test";
import assert from "node:assert/strict";
import { connect } from "@nats-io/transport-node";
import { jetstreamManager } from "@nats-io/jetstream";
import { testBroker } from "@sluice/core/testing";
import { nats } from "@sluice/nats";
import { realBroker } from "../_support/brokers.ts";
import { faststreamPython } from "../_support/python.ts";
import { Plan, pyBatch, type Running, sharedCells, type Wire } from "./_cases.ts";
import { FROM_PY, Matrix, TO_PY } from "./_matrix.ts";
import { Peer } from "./_peer.ts";

const python = faststreamPython();
const server = python ? await realBroker("nats") : undefined;
const matrix = new Matrix("nats");

describe("interop: nats", { skip: server ? false : "no Python FastStream or no real nats" }, () => {
  const run = `interop-${Date.now().toString(36)}`;
  const stream = run.replaceAll("-", "_").toUpperCase();
  // Sluice declares the stream; FastStream's subscribers use it as it is.
  const broker = nats({
    servers: server!.url,
    logLevel: "error",
    streams: [{ name: stream, subjects: [`${run}.js.>`], storage: "memory" }],
  });
  const jStream = { $JStream: { name: stream, declare: false } };
  const plan = new Plan();
  const running = {} as Running;
  let stop: (() => Promise<void>) | undefined;

  before(async () => {
    const br = await testBroker(broker, { real: true });
    const peer = await Peer.start(python!, "nats", server!.url, plan.subscribers).catch(async (error) => {
      await br.close();
      throw error;
    });
    running.peer = peer;
    stop = async () => void await Promise.allSettled([peer.close(), br.close()]);
  });
  after(async () => {
    await stop?.();
    const nc = await connect({ servers: server!.url });
    await (await jetstreamManager(nc)).streams.delete(stream).catch(() => false);
    await nc.close();
    await server!.stop();
    console.log(matrix.summary());
  });

  // nats-py takes header values as strings.
  const pyRefusesIntegerHeaders = /AttributeError: 'int' object has no attribute 'strip'/;
  const core: Wire = {
    channel: "nats core",
    dest: (name) => `${run}.core.${name}`,
    pySubscriber: (id, dest, handler) => ({ id, handler, kwargs: { subject: dest } }),
    pyTarget: (dest) => ({ subject: dest }),
    subscribe: (dest, options, handler) => void broker.subscriber(dest, options).handle(handler),
    publish: (body, dest, options) => broker.publish(body, dest, options),
    request: (body, dest, options) => broker.request(body, dest, options),
    pyRefusesIntegerHeaders,
  };
  const jetstream: Wire = {
    channel: "nats jetstream",
    dest: (name) => `${run}.js.${name}`,
    pySubscriber: (id, dest, handler) => ({ id, handler, kwargs: { subject: dest, stream: jStream } }),
    pyTarget: (dest) => ({ subject: dest, stream }),
    subscribe: (dest, options, handler) =>
      void broker.subscriber(dest, { ...options, stream }).handle(handler),
    publish: (body, dest, options) => broker.publish(body, dest, { ...options, jetstream: true }),
    request: (body, dest, options) => broker.request(body, dest, { ...options, jetstream: true }),
    pyRefusesIntegerHeaders,
  };
  sharedCells(matrix, core, plan, running);
  sharedCells(matrix, jetstream, plan, running);

  // Batches: FastStream consumes them from JetStream pull consumers, and publishes none on NATS.
  //
  // Its pull loop (nats-py 2.16.0 under FastStream 0.7.8) can die when a fetch ends right at its deadline
  // (nats-py raises asyncio's TimeoutError, FastStream catches only nats-py's), and FastStream restarts it. A CI
  // run once saw that restart followed by 15 s without the batch. Which of the two is to blame is not proven,
  // so the consumer is made to survive both: durable (an ephemeral one is deleted after 5 s without a pull
  // request) and with a 2 s ack wait (a delivery the client dropped comes back in the test's time, not in 30 s).
  {
    const dest = `${run}.js.batch-py`;
    const sub = plan.add((id) => ({
      id,
      handler: "orders",
      kwargs: {
        subject: dest,
        stream: jStream,
        durable: "interop_batch",
        config: { $ConsumerConfig: { ack_wait: 2 } },
        pull_sub: { $PullSub: { batch_size: 10, batch: true, timeout: 1 } },
      },
    }));
    matrix.cell("nats jetstream", TO_PY, "batch", async () => {
      const orders = [1, 2, 3].map((id) => ({ id, item: "tea", qty: id }));
      await broker.publishBatch(orders, dest, { jetstream: true });
      assert.deepEqual(
        ((await pyBatch(running.peer, sub, 3)) as { Order: { id: number } }[]).sort((a, b) =>
          a.Order.id - b.Order.id
        ),
        orders.map((o) => ({ Order: o })),
      );
    });
  }
  const noBatchPublish = "FastStream 0.7.8 publishes no batches on NATS";
  matrix.none("nats jetstream", FROM_PY, "batch", noBatchPublish);
  matrix.none("nats core", FROM_PY, "batch", noBatchPublish);
  matrix.none("nats core", TO_PY, "batch", "FastStream consumes batches from JetStream pull consumers only");
  for (const channel of ["nats core", "nats jetstream"]) {
    for (const direction of [TO_PY, FROM_PY]) {
      matrix.none(channel, direction, "key", "NATS messages have no key");
    }
  }
});
