import { conformance } from "../../../tests/conformance/suite.ts";
import { realBroker } from "../../../tests/_support/brokers.ts";
import { kafka } from "../mod.ts";

/** Short group timings: safe on a one-node test broker, and joins and rebalances finish quickly. */
export const testConsumer = { sessionTimeout: 6000, heartbeatInterval: 300, maxWaitTime: 100 };

conformance({ name: "kafka (emulation)", real: false, createBroker: (options) => kafka(options) });

const real = await realBroker("kafka");
if (real) {
  conformance({
    name: "kafka (real)",
    real: true,
    timeout: 20_000,
    createBroker: (options) =>
      kafka({ ...options, brokers: real.url, consumer: testConsumer, discoveryInterval: 250 }),
  });
}
