// The conformance suite, twice: on the emulation, and on a real SQS API (ElasticMQ) when one is available.
import { conformance } from "../../../tests/conformance/suite.ts";
import { realBroker } from "../../../tests/_support/brokers.ts";
import { sqs } from "../mod.ts";

conformance({ name: "sqs (emulation)", real: false, createBroker: (o) => sqs(o) });

const server = await realBroker("sqs");
if (server) {
  conformance({
    name: "sqs (real)",
    real: true,
    timeout: 10_000,
    createBroker: (o) => sqs({ ...o, url: server.url }),
  });
}
