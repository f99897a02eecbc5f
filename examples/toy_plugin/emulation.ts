import type { Emulation } from "@sluice/core";
import { memoryDriver } from "@sluice/core/kit";
import type { ToyOptions, ToyPublishOptions, ToySubscribeOptions } from "./options.ts";
import { toyRules } from "./rules.ts";

/** The toy emulation. */
export type ToyEmulation = Emulation<ToySubscribeOptions, ToyPublishOptions>;

/** A fresh in-memory emulation of the toy broker: the core's memory driver with the toy's rules. */
export function toyEmulation(_options: ToyOptions = {}): ToyEmulation {
  return memoryDriver({ name: "toy", rules: toyRules }, { ignoreOptions: true });
}
