/**
 * How the Redis plugin reaches its servers: the connection options of the broker (URL, credentials, database,
 * TLS, Cluster or Sentinel), the parsing of `redis://` / `rediss://` URLs, and the endpoint the client connects
 * to. Errors are OptionErrors that never show a password.
 *
 * @module
 */

import { OptionError } from "@sluice/core";
import { redactUrl } from "@sluice/core/kit";

/** TLS settings handed to the client (Node's `tls.connect` options: `ca`, `cert`, `key`, `servername` …). */
export type TlsOptions = Record<string, unknown>;

/** The connection options of the Redis broker (part of `RedisOptions`). */
export interface RedisConnectionOptions {
  /** `redis://[user[:password]@]host[:port][/db]`, or `rediss://` for TLS; `redis://127.0.0.1:6379` by default. */
  readonly url?: string;
  /** The ACL user (Redis 6+); overrides the URL's. */
  readonly username?: string;
  /** The password (`AUTH`); overrides the URL's. */
  readonly password?: string;
  /** The database index (`SELECT`); overrides the URL's path. */
  readonly db?: number;
  /** TLS: `true`, or the options of Node's `tls.connect` (`ca`, `cert`, `key` …). `rediss://` implies it. */
  readonly tls?: boolean | TlsOptions;
  /**
   * Redis Cluster: `true` makes the URL the seed node, or a list of seed nodes' URLs
   * (`redis://host:port`; their credentials and TLS are the broker's). The client discovers the other
   * nodes, follows slot moves and reconnects to each node. A cluster has one database (0) only.
   */
  readonly cluster?: true | readonly string[];
  /**
   * Redis Sentinel: the name of the master set the Sentinels watch (the URL then names one Sentinel), or
   * options with more Sentinels and their own credentials. The client asks the Sentinels for the master
   * and follows a failover to the new one; the URL's or the broker's username and password are the master's.
   */
  readonly sentinel?: string | SentinelOptions;
}

/** Options of Redis Sentinel. */
export interface SentinelOptions {
  /** The name of the master set (`sentinel monitor <name> ...` in the Sentinels' configuration). */
  readonly name: string;
  /** The Sentinels' URLs (`redis://host:26379`); the broker's URL by default. */
  readonly sentinels?: readonly string[];
  /** The Sentinels' ACL user, when they require one. */
  readonly username?: string;
  /** The Sentinels' password (`requirepass` of the Sentinels), when they require one. */
  readonly password?: string;
}

/** Checks the URL, the seed nodes or Sentinels and how they combine; throws an OptionError naming the bad one. */
export function checkConnection(options: RedisConnectionOptions): void {
  if (options.url !== undefined) parseUrl(options.url);
  for (const url of seedsOf(options)) {
    const seed = parseUrl(url);
    if (seed.username !== undefined || seed.password !== undefined || seed.db !== undefined) {
      const what = options.cluster !== undefined ? "cluster node" : "Sentinel";
      throw new OptionError(
        `Invalid Redis ${what} url "${
          redactUrl(url)
        }": give only host and port; credentials go in the broker's url ` +
          `or username/password${
            options.cluster !== undefined ? "" : " (the Sentinels' own in sentinel.username/password)"
          }`,
      );
    }
  }
  if (options.cluster !== undefined && options.sentinel !== undefined) {
    throw new OptionError(
      "Invalid Redis broker options: choose cluster or sentinel, not both (a cluster fails over by itself)",
    );
  }
  if (options.cluster !== undefined && (options.db ?? parseUrl(options.url ?? DEFAULT_URL).db ?? 0) !== 0) {
    throw new OptionError(
      "Invalid Redis broker option db: a Redis Cluster has only database 0; drop db (or the URL's /<db>)",
    );
  }
}

/** A host and port. */
export interface Address {
  readonly host: string;
  readonly port: number;
}

/** How the servers are reached: one server, a cluster through its seed nodes, or a master through Sentinels. */
export type Topology =
  | { readonly kind: "single" }
  | { readonly kind: "cluster"; readonly nodes: readonly Address[] }
  | {
    readonly kind: "sentinel";
    readonly name: string;
    readonly sentinels: readonly Address[];
    readonly username?: string;
    readonly password?: string;
  };

/** What the client needs to connect. */
export interface Endpoint {
  /** The server's address; the first seed node of a cluster, the first Sentinel. */
  readonly host: string;
  readonly port: number;
  readonly topology: Topology;
  readonly username?: string;
  readonly password?: string;
  readonly db: number;
  readonly tls?: TlsOptions;
  /** The URL without credentials, for logs and errors. */
  readonly safeUrl: string;
}

/** Parses a `redis://` / `rediss://` URL; throws an OptionError (without the password) when it is not one. */
export function parseUrl(url: string): {
  host: string;
  port: number;
  username?: string;
  password?: string;
  db?: number;
  tls: boolean;
} {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new OptionError(
      `Invalid Redis url "${redactUrl(url)}": write it like redis://user:password@host:6379/0`,
    );
  }
  if (parsed.protocol !== "redis:" && parsed.protocol !== "rediss:") {
    throw new OptionError(`Invalid Redis url "${redactUrl(url)}": the scheme must be redis:// or rediss://`);
  }
  const path = parsed.pathname.replace(/^\//, "");
  if (path !== "" && !/^\d+$/.test(path)) {
    throw new OptionError(`Invalid Redis url "${redactUrl(url)}": the path must be a database index like /0`);
  }
  const port = parsed.port === "" ? 6379 : Number(parsed.port);
  return {
    host: parsed.hostname.replace(/^\[|\]$/g, "") || "127.0.0.1",
    port,
    username: parsed.username ? decodeURIComponent(parsed.username) : undefined,
    password: parsed.password ? decodeURIComponent(parsed.password) : undefined,
    db: path === "" ? undefined : Number(path),
    tls: parsed.protocol === "rediss:",
  };
}

/** Combines the URL and the explicit options into an endpoint. */
export function endpoint(options: RedisConnectionOptions): Endpoint {
  const fromUrl = parseUrl(options.url ?? DEFAULT_URL);
  const tlsOn = options.tls !== undefined ? options.tls !== false : fromUrl.tls;
  const tls = tlsOn ? (typeof options.tls === "object" ? options.tls : {}) : undefined;
  const db = options.db ?? fromUrl.db ?? 0;
  const topology = topologyOf(options, fromUrl);
  // A cluster or Sentinels given as a list are named by their first address.
  const first = topology.kind === "cluster"
    ? topology.nodes[0]
    : topology.kind === "sentinel"
    ? topology.sentinels[0]
    : fromUrl;
  const safeUrl = `${tls ? "rediss" : "redis"}://${
    first.host.includes(":") ? `[${first.host}]` : first.host
  }:${first.port}/${db}`;
  return {
    host: first.host,
    port: first.port,
    username: options.username ?? fromUrl.username,
    password: options.password ?? fromUrl.password,
    db,
    tls,
    safeUrl,
    topology,
  };
}

const DEFAULT_URL = "redis://127.0.0.1:6379";

/** The extra URLs of seed nodes or Sentinels. */
function seedsOf(options: RedisConnectionOptions): readonly string[] {
  if (Array.isArray(options.cluster)) return options.cluster;
  return typeof options.sentinel === "object" ? options.sentinel.sentinels ?? [] : [];
}

function topologyOf(options: RedisConnectionOptions, url: Address): Topology {
  const addresses = (urls: readonly string[]): Address[] =>
    urls.length === 0 ? [{ host: url.host, port: url.port }] : urls.map((u) => {
      const { host, port } = parseUrl(u);
      return { host, port };
    });
  if (options.cluster !== undefined) return { kind: "cluster", nodes: addresses(seedsOf(options)) };
  const sentinel = typeof options.sentinel === "string" ? { name: options.sentinel } : options.sentinel;
  if (sentinel === undefined) return { kind: "single" };
  return {
    kind: "sentinel",
    name: sentinel.name,
    sentinels: addresses(sentinel.sentinels ?? []),
    username: sentinel.username,
    password: sentinel.password,
  };
}
