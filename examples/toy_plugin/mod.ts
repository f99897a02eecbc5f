/**
 * A toy broker plugin, written by following the guide in this folder's README: the smallest plugin that
 * passes Sluice's conformance suite, against its emulation and against its (in-process) server.
 *
 * @module
 */

import { Broker, type Plugin } from "@sluice/core";
import { parseOptions } from "@sluice/core/kit";
import { type ToyDriver, toyDriver } from "./driver.ts";
import { toyEmulation } from "./emulation.ts";
import { brokerOptions, optionsFromUrl, type ToyOptions } from "./options.ts";

export { type ToyDriver, toyDriver } from "./driver.ts";
export { type ToyEmulation, toyEmulation } from "./emulation.ts";
export * from "./options.ts";
export { features, toyRules } from "./rules.ts";

/** Creates a toy broker (not connected); its options are checked at once. */
export function toy(options: ToyOptions = {}): Broker<ToyDriver> {
  parseOptions(brokerOptions, options);
  return new Broker(toyDriver(options), options, () => toyEmulation(options));
}

/** The `toy:` plugin: `registry.register("toy", () => import("./mod.ts"))`, then `connect("toy://name")`. */
export const plugin: Plugin = {
  schemes: ["toy"],
  create: (url, options) => toy({ ...optionsFromUrl(url), ...options }),
};
