// The conformance suite on the Kafka emulation and, when there is one, on a real Kafka.
import { describe, it } from "node:test";
import { conformance, type Scenario } from "@sluice/core/conformance";
import { realBroker } from "../../../tests/_support/brokers.ts";
import { kafka, type KafkaOptions } from "../mod.ts";
import { features } from "../rules.ts";
import { testConsumer } from "./_helpers.ts";

// Kafka orders records within a partition only: the scenario that checks the order of three bodies keys
// them, so they share a partition. Topics have 3 partitions in memory as on the test broker.
const publishOptions = (scenario: Scenario): Record<string, unknown> =>
  scenario === "delivery" ? { key: "bodies" } : {};
const keyOptions = (key: string): Record<string, unknown> => ({ key });
const emulated: KafkaOptions = { topic: { partitions: 3 } };

conformance({
  name: "kafka (emulation)",
  real: false,
  features: features(emulated),
  publishOptions,
  keyOptions,
  createBroker: (options) => kafka({ ...options, ...emulated }),
}, { describe, it });

const real = await realBroker("kafka");
if (real) {
  const options: KafkaOptions = {
    ...emulated,
    brokers: real.url,
    consumer: testConsumer,
    discoveryInterval: 250,
  };
  conformance({
    name: "kafka (real)",
    real: true,
    timeout: 20_000,
    features: features(options),
    publishOptions,
    keyOptions,
    createBroker: (brokerOptions) => kafka({ ...brokerOptions, ...options }),
  }, { describe, it });
}
