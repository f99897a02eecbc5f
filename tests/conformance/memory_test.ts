// The conformance suite on the in-memory broker, whose emulation is itself.
import { describe, it } from "node:test";
import { memory } from "@sluice/core";
import { conformance, type Features } from "@sluice/core/conformance";

const features: Features = { wildcards: true, groups: true, fanout: true, redelivery: true };

conformance({ name: "memory", real: false, features, createBroker: (options) => memory(options) }, {
  describe,
  it,
});
