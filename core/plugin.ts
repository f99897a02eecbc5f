/**
 * What a plugin module exports as `plugin`, for the registry that maps URL schemes to plugins.
 *
 * @module
 */

import type { Broker } from "./broker.ts";
import type { BrokerOptions } from "./options.ts";

/** What a plugin module exports as `plugin`. */
export interface Plugin {
  /** The URL schemes it serves, without the colon: `["amqp", "amqps"]`. */
  readonly schemes: readonly string[];
  /**
   * Creates a broker (not yet connected) for a URL. `source` is the URL exactly as given: a host list such
   * as `kafka://h1:9092,h2:9092` is no valid WHATWG URL, so `url` then holds only the first host.
   */
  create(
    url: URL,
    options: BrokerOptions & Record<string, unknown>,
    source?: string,
  ): Broker | Promise<Broker>;
}

/** Loads a plugin: a module exporting `plugin`, or the plugin itself. */
export type PluginLoader = () =>
  | Promise<{ readonly plugin: Plugin } | Plugin>
  | { readonly plugin: Plugin }
  | Plugin;
