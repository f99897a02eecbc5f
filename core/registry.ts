/**
 * The plugin registry: URL schemes mapped to plugins that are imported only when a URL needs them, so an
 * app on NATS never loads kafkajs. Third parties register their own schemes.
 *
 * @module
 */

import type { Broker } from "./broker.ts";
import { MissingClientError, SluiceError, UnknownSchemeError } from "./errors.ts";
import type { BrokerOptions } from "./options.ts";
import type { Plugin, PluginLoader } from "./plugin.ts";

/** The package of each built-in scheme. */
const BUILT_IN: Readonly<Record<string, string>> = {
  kafka: "@sluice/kafka",
  amqp: "@sluice/rabbitmq",
  amqps: "@sluice/rabbitmq",
  nats: "@sluice/nats",
  redis: "@sluice/redis",
  rediss: "@sluice/redis",
  mqtt: "@sluice/mqtt",
  mqtts: "@sluice/mqtt",
  sqs: "@sluice/sqs",
};

function importPackage(name: string): PluginLoader {
  return async () => {
    try {
      return await import(name);
    } catch (error) {
      throw new MissingClientError(
        `The plugin ${name} could not be loaded (${
          (error as Error).message
        }): install it with "npm install ${name}" or "deno add npm:${name}"`,
        { cause: error },
      );
    }
  };
}

/** Parses a broker URL; a list of hosts (`h1:9092,h2:9092`) keeps only the first in the result. */
function parseUrl(url: string): URL {
  try {
    return new URL(url);
  } catch {
    const hostList = /^([a-z][a-z0-9+.-]*:\/\/(?:[^@/]*@)?)([^,/?#]+),[^/?#]*(.*)$/i.exec(url);
    if (hostList) {
      try {
        return new URL(hostList[1]! + hostList[2]! + hostList[3]!);
      } catch {
        // Not a URL even with one host: fall through to the error below.
      }
    }
    throw new UnknownSchemeError(`"${redactUrl(url)}" is not a URL: write it like kafka://localhost:9092`);
  }
}

/** Removes the password from a URL, for logs and errors. */
export function redactUrl(url: string | URL): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = "***";
    return parsed.toString();
  } catch {
    return String(url).replace(/[^\s/@]*:[^\s/@]*@/g, "***@");
  }
}

/**
 * Maps URL schemes to plugins. One global registry serves `connect()`; create another to scope plugins to
 * one app.
 */
export class Registry {
  readonly #loaders = new Map<string, PluginLoader>();

  /** A registry with the built-in schemes. */
  constructor() {
    this.register("memory", () => import("./memory/mod.ts"));
    for (const [scheme, name] of Object.entries(BUILT_IN)) this.register(scheme, importPackage(name));
  }

  /** Registers (or replaces) the loader of a scheme, given without the colon. */
  register(scheme: string, loader: PluginLoader): this {
    this.#loaders.set(scheme.toLowerCase(), loader);
    return this;
  }

  /** The schemes it knows. */
  get schemes(): string[] {
    return [...this.#loaders.keys()];
  }

  /** Loads the plugin of a scheme. */
  async load(scheme: string): Promise<Plugin> {
    const loader = this.#loaders.get(scheme.toLowerCase());
    if (!loader) {
      throw new UnknownSchemeError(
        `No plugin for "${scheme}:" URLs. Known: ${this.schemes.map((s) => s + ":").join(", ")}. ` +
          `Register one with registry.register("${scheme}", loader), where loader imports your plugin`,
      );
    }
    let loaded: { readonly plugin: Plugin } | Plugin;
    try {
      loaded = await loader();
    } catch (error) {
      if (error instanceof SluiceError) throw error;
      throw new MissingClientError(
        `The plugin for "${scheme}:" could not be loaded: ${
          (error as Error).message
        }. Is its package installed?`,
        { cause: error },
      );
    }
    return "plugin" in loaded ? loaded.plugin : loaded;
  }

  /** Creates a broker for `url` with the plugin of its scheme, and connects it. */
  async connect(url: string, options: BrokerOptions & Record<string, unknown> = {}): Promise<Broker> {
    const parsed = parseUrl(url);
    const plugin = await this.load(parsed.protocol.slice(0, -1));
    const broker = await plugin.create(parsed, options, url);
    await broker.connect();
    return broker;
  }
}

/** The global registry behind {@linkcode connect}. */
export const registry: Registry = new Registry();

/**
 * Creates and connects a broker from a URL, loading only the plugin its scheme needs.
 *
 * @example
 * ```ts
 * import { connect } from "@sluice/core";
 * const broker = await connect("memory://");
 * await broker.close();
 * ```
 */
export function connect(url: string, options: BrokerOptions & Record<string, unknown> = {}): Promise<Broker> {
  return registry.connect(url, options);
}
