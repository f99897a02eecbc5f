// The conformance suite, four times: core NATS and JetStream (the broker's `jetstream: true`, which makes
// every subscriber consume from a stream with acks and redelivery), each on the emulation and on a real
// nats-server.
import { after } from "node:test";
import { conformance } from "../../../tests/conformance/suite.ts";
import { realBroker } from "../../../tests/_support/brokers.ts";
import { nats } from "../mod.ts";
import { removeTestStreams } from "./_support.ts";

conformance({ name: "nats core (emulation)", real: false, createBroker: (o) => nats(o) });
conformance({
  name: "nats jetstream (emulation)",
  real: false,
  createBroker: (o) => nats({ ...o, jetstream: true }),
});

const server = await realBroker("nats");
if (server) {
  after(async () => {
    await removeTestStreams(server.url, /^c[0-9a-z]+_/);
    await server.stop();
  });
  conformance({
    name: "nats core (real)",
    real: true,
    createBroker: (o) => nats({ ...o, servers: server.url }),
  });
  conformance({
    name: "nats jetstream (real)",
    real: true,
    createBroker: (o) => nats({ ...o, servers: server.url, jetstream: true }),
  });
}
