// The conformance suite on the MQTT emulation and on a real broker (SLUICE_MQTT_URL), MQTT 5.
import { after } from "node:test";
import { conformance } from "../../../tests/conformance/suite.ts";
import { realBroker } from "../../../tests/_support/brokers.ts";
import { mqtt } from "../mod.ts";

conformance({ name: "mqtt (emulation)", real: false, createBroker: (options) => mqtt(options) });

const real = await realBroker("mqtt");
if (real) {
  after(() => real.stop());
  conformance({
    name: "mqtt (real)",
    real: true,
    createBroker: (options) => mqtt({ ...options, url: real.url }),
  });
}
