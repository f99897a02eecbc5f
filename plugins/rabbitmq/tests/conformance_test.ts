// The conformance suite against the RabbitMQ emulation and, when one is available, the real RabbitMQ.
import { conformance } from "../../../tests/conformance/suite.ts";
import { realBroker } from "../../../tests/_support/brokers.ts";
import { rabbitmq } from "../mod.ts";

conformance({ name: "rabbitmq (emulation)", real: false, createBroker: (options) => rabbitmq(options) });

const real = await realBroker("amqp");
if (real) {
  conformance({
    name: "rabbitmq (real)",
    real: true,
    createBroker: (options) => rabbitmq({ ...options, url: real.url }),
  });
}
