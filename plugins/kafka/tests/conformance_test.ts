import { conformance, type Scenario } from "../../../tests/conformance/suite.ts";
import { realBroker } from "../../../tests/_support/brokers.ts";
import { kafka } from "../mod.ts";
import { testConsumer } from "./_helpers.ts";

// Kafka orders records within a partition only: the scenario that checks the order of three bodies keys
// them, so they share a partition. Topics have 3 partitions in memory as on the test broker.
const publishOptions = (scenario: Scenario): Record<string, unknown> =>
  scenario === "delivery" ? { key: "bodies" } : {};
const topic = { partitions: 3 };

conformance({
  name: "kafka (emulation)",
  real: false,
  publishOptions,
  createBroker: (options) => kafka({ ...options, topic }),
});

const real = await realBroker("kafka");
if (real) {
  conformance({
    name: "kafka (real)",
    real: true,
    timeout: 20_000,
    publishOptions,
    createBroker: (options) =>
      kafka({ ...options, brokers: real.url, topic, consumer: testConsumer, discoveryInterval: 250 }),
  });
}
