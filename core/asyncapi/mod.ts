/**
 * AsyncAPI 3.0.0 from an app: `asyncapi(app)` derives the document from what the app declares (servers,
 * channels, messages with JSON Schema payloads, operations, replies, each broker's bindings), and `toYaml`
 * writes it as YAML (`JSON.stringify` as JSON).
 *
 * @example
 * ```ts
 * import { App, memory } from "@sluice/core";
 * import { asyncapi, toYaml } from "@sluice/core/asyncapi";
 * const broker = memory();
 * broker.subscriber("orders.{region}").handle((order) => order);
 * const document = asyncapi(new App(broker), { title: "Shop", version: "1.0.0" });
 * console.log(toYaml(document));
 * ```
 *
 * @module
 */

export { asyncapi, type AsyncApiOptions } from "./document.ts";
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
