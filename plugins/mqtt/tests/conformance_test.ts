// The conformance suite on the MQTT emulation and on a real broker (SLUICE_MQTT_URL), MQTT 5.
import { after, describe, it } from "node:test";
import { conformance } from "@sluice/core/conformance";
import { realBroker } from "../../../tests/_support/brokers.ts";
import { mqtt } from "../mod.ts";
import { features } from "../rules.ts";

conformance({
  name: "mqtt (emulation)",
  real: false,
  features: features(),
  createBroker: (options) => mqtt(options),
}, { describe, it });

const real = await realBroker("mqtt");
if (real) {
  after(() => real.stop());
  conformance({
    name: "mqtt (real)",
    real: true,
    features: features({ url: real.url }),
    createBroker: (options) => mqtt({ ...options, url: real.url }),
  }, { describe, it });
}
