/**
 * For plugin authors: the pieces an emulation and a driver are built from. Users import `@sluice/core`.
 *
 * @module
 */

export { levelMatcher, memoryRules, paramNames, pathExtractor, replaceParams } from "./channel.ts";
export { mediaType } from "./codec.ts";
export { describeError } from "./errors.ts";
export {
  Activity,
  MemoryQueue,
  type MemoryQueueOptions,
  type Quiet,
  type StoredMessage,
  storedMessage,
} from "./memory/queue.ts";
export { type MemoryDriver, memoryDriver, type MemoryDriverOptions } from "./memory/driver.ts";
export { redactUrl } from "./registry.ts";
export { replaceDriver } from "./broker.ts";
export { REPLY_CHANNEL_PREFIX } from "./_reply_channel.ts";
export { importClient } from "./_import.ts";
export { Limiter, sleep } from "./_limiter.ts";
export { ERROR_HEADER, fromWireHeaders, toWireHeaders, WIRE, WireFields } from "./wire.ts";
