// The conformance suite against the RabbitMQ emulation and, when one is available, the real RabbitMQ.
import { describe, it } from "node:test";
import { conformance } from "@sluice/core/conformance";
import { realBroker } from "../../../tests/_support/brokers.ts";
import { rabbitmq } from "../mod.ts";
import { features } from "../rules.ts";

const test = { describe, it };

conformance({
  name: "rabbitmq (emulation)",
  real: false,
  features: features(),
  createBroker: (options) => rabbitmq(options),
}, test);

const real = await realBroker("amqp");
if (real) {
  conformance({
    name: "rabbitmq (real)",
    real: true,
    features: features(),
    createBroker: (options) => rabbitmq({ ...options, url: real.url }),
  }, test);
}
