/**
 * The in-memory broker, `memory://`: a complete broker in the process, for demos, tests and single-process
 * apps.
 *
 * @module
 */

import { Broker } from "../broker.ts";
import type { BrokerOptions } from "../options.ts";
import type { Plugin } from "../plugin.ts";
import { type MemoryDriver, memoryDriver, type MemoryDriverOptions } from "./driver.ts";

export { type MemoryDriver, memoryDriver, type MemoryDriverOptions } from "./driver.ts";
export { Activity, type Quiet } from "./activity.ts";
export { type DispatchConsumer, Dispatcher, type DispatchSource } from "./dispatcher.ts";
export { MemoryQueue, type MemoryQueueOptions, type StoredMessage, storedMessage } from "./queue.ts";

/**
 * Creates an in-memory broker.
 *
 * @example
 * ```ts
 * import { memory } from "@sluice/core";
 * const broker = memory();
 * broker.subscriber("orders.*").handle((order) => console.log(order));
 * ```
 */
export function memory(options: BrokerOptions & MemoryDriverOptions = {}): Broker<MemoryDriver> {
  return new Broker(memoryDriver(options), options, () => memoryDriver(options));
}

/** The `memory:` plugin for `connect("memory://")`. */
export const plugin: Plugin = {
  schemes: ["memory"],
  create: (_url, options) => memory(options),
};
