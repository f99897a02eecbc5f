/**
 * AsyncAPI 3.0.0 from an app: `asyncapi(app)` derives the document from what the app declares (servers,
 * channels, messages with JSON Schema payloads, operations, replies, each broker's bindings), `toYaml` writes
 * it as YAML (`JSON.stringify` as JSON), and `diff` tells the breaking changes between two versions of it.
 * `sluice docs gen | serve | diff` are these on the command line.
 *
 * @example
 * ```ts
 * import { App, memory } from "@sluice/core";
 * import { asyncapi, diff, toYaml } from "@sluice/core/asyncapi";
 * const broker = memory();
 * broker.subscriber("orders.{region}").handle((order) => order);
 * const before = asyncapi(new App(broker), { title: "Shop", version: "1.0.0" });
 * console.log(toYaml(before));
 * console.log(diff(before, before)); // []
 * ```
 *
 * @module
 */

export { asyncapi, type AsyncApiOptions } from "./document.ts";
export { type Change, diff, type DiffRule, type Direction, formatChange, type SchemaRule } from "./diff.ts";
export type {
  AsyncApiDocument,
  AsyncApiInfo,
  Bindings,
  ChannelObject,
  JsonSchema,
  MessageObject,
  OperationObject,
  OperationReply,
  ParameterObject,
  Reference,
  ServerObject,
} from "./types.ts";
export { toYaml } from "./yaml.ts";
