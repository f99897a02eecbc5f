// The conformance suite, twice: on the emulation, and on a real SQS API (ElasticMQ) when one is available.
// A message's ordering key is its message group (`groupId`), which standard queues carry too.
import { describe, it } from "node:test";
import { conformance } from "@sluice/core/conformance";
import { realBroker } from "../../../tests/_support/brokers.ts";
import { features, sqs } from "../mod.ts";

const keyOptions = (key: string) => ({ groupId: key });

conformance({
  name: "sqs (emulation)",
  real: false,
  features: features(),
  keyOptions,
  createBroker: (options) => sqs(options),
}, { describe, it });

const server = await realBroker("sqs");
if (server) {
  conformance({
    name: "sqs (real)",
    real: true,
    features: features(),
    keyOptions,
    timeout: 10_000,
    createBroker: (options) => sqs({ ...options, url: server.url }),
  }, { describe, it });
}
