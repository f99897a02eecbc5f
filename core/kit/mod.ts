/**
 * The plugin kit: what a broker plugin is built from. Users import `@sluice/core`; plugin authors import
 * this too. `plugins/README.md` shows how the pieces fit: a driver that consumes through a
 * {@linkcode DeliveryWindow}, options parsed by {@linkcode optionsSchema}, an emulation made of
 * {@linkcode MemoryQueue}s (or a {@linkcode Dispatcher} where the broker's model is not a queue) watched by an
 * {@linkcode Activity}, and the wire conventions of FastStream.
 *
 * @module
 */

export { levelMatcher, memoryRules, paramNames, pathExtractor, replaceParams } from "../channel.ts";
export { mediaType } from "../codec.ts";
export { describeError } from "../errors.ts";
export { Activity, type Quiet } from "../memory/activity.ts";
export { type DispatchConsumer, Dispatcher, type DispatchSource } from "../memory/dispatcher.ts";
export { MemoryQueue, type MemoryQueueOptions, type StoredMessage, storedMessage } from "../memory/queue.ts";
export { type MemoryDriver, memoryDriver, type MemoryDriverOptions } from "../memory/driver.ts";
export { redactUrl } from "../registry.ts";
export { REPLY_CHANNEL_PREFIX } from "../_reply_channel.ts";
export { importClient } from "../_import.ts";
export { Limiter, sleep } from "../_limiter.ts";
export { ERROR_HEADER, fromWireHeaders, toWireHeaders, WIRE, WireFields } from "../wire.ts";
export { type Deadline, Deadlines } from "./deadlines.ts";
export {
  didYouMean,
  optionNames,
  type OptionsSchema,
  optionsSchema,
  type OptionsSchemaInit,
  type OptionsShape,
  parseOptions,
} from "./options.ts";
export {
  DEFAULT_PENDING,
  overLimit,
  PendingBound,
  type PendingLimits,
  pendingLimits,
  PendingQueue,
  SlowConsumer,
} from "./pending.ts";
export { AwaitedReplies } from "./replies.ts";
export { DeliveryWindow } from "./window.ts";
