import { memory } from "@sluice/core";
import { conformance } from "./suite.ts";

conformance({ name: "memory", real: false, createBroker: (options) => memory(options) });
