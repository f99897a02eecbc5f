// The conformance suite, four times: core NATS and JetStream (the broker's `jetstream: true`, which makes
// every subscriber consume from a stream with acks and redelivery), each on the emulation and on a real
// nats-server.
import { after, describe, it } from "node:test";
import { conformance } from "@sluice/core/conformance";
import { realBroker } from "../../../tests/_support/brokers.ts";
import { nats } from "../mod.ts";
import { features } from "../rules.ts";
import { removeTestStreams } from "./_support.ts";

const test = { describe, it };

conformance({
  name: "nats core (emulation)",
  real: false,
  features: features(),
  createBroker: (options) => nats(options),
}, test);
conformance({
  name: "nats jetstream (emulation)",
  real: false,
  features: features({ jetstream: true }),
  createBroker: (options) => nats({ ...options, jetstream: true }),
}, test);

const server = await realBroker("nats");
if (server) {
  after(async () => {
    await removeTestStreams(server.url, /^c[0-9a-z]+_/);
    await server.stop();
  });
  conformance({
    name: "nats core (real)",
    real: true,
    features: features(),
    createBroker: (options) => nats({ ...options, servers: server.url }),
  }, test);
  conformance({
    name: "nats jetstream (real)",
    real: true,
    features: features({ jetstream: true }),
    createBroker: (options) => nats({ ...options, servers: server.url, jetstream: true }),
  }, test);
}
