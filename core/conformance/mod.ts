/**
 * The conformance suite: the behaviour every broker plugin must show, written once and run for every plugin
 * twice — against its in-memory emulation and against the real broker. A difference between the two is a
 * bug. Third-party plugins run it too: it imports nothing but the core, and takes the test functions of the
 * runner in use.
 *
 * @example
 * ```ts ignore
 * import { describe, it } from "node:test";
 * import { conformance } from "@sluice/core/conformance";
 * import { toy, features } from "./mod.ts";
 *
 * conformance({ name: "toy (emulation)", real: false, features, createBroker: (o) => toy(o) }, { describe, it });
 * ```
 *
 * @module
 */

import { deliveryCases } from "./_delivery_cases.ts";
import { failureCases } from "./_failure_cases.ts";
import { driverCases } from "./_driver_cases.ts";
import { dynamicCases } from "./_dynamic_cases.ts";
import type { ConformanceTarget, TestFunctions } from "./types.ts";

export { ConformanceError } from "./_assert.ts";
export type { CaseOptions, ConformanceTarget, Features, Scenario, TestFunctions } from "./types.ts";

/** Registers the whole suite for `target`: the broker cases and the driver contract cases. */
export function conformance(target: ConformanceTarget, test: TestFunctions): void {
  deliveryCases(target, test);
  failureCases(target, test);
  driverCases(target, test);
  dynamicCases(target, test);
}
