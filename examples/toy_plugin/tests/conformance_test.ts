// The toy plugin passes the conformance suite twice: on its emulation and on its server.
import { describe, it } from "node:test";
import { conformance } from "@sluice/core/conformance";
import { features, toy } from "../mod.ts";

conformance({ name: "toy (emulation)", real: false, features: features(), createBroker: (o) => toy(o) }, {
  describe,
  it,
});
conformance({ name: "toy (server)", real: true, features: features(), createBroker: (o) => toy(o) }, {
  describe,
  it,
});
