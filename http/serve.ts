// Bun's own declarations of Bun.serve, without the rest of bun-types (which retypes globals such as URL
// for every program that imports this package).
/// <reference types="bun-types/bun.d.ts" />
/// <reference types="bun-types/serve.d.ts" />
/// <reference types="bun-types/bun.ns.d.ts" />
/**
 * `serve(api, { port })`: serves a fetch handler (a Hono app) on the runtime's own server — `Deno.serve` under
 * Deno, `Bun.serve` under Bun, `node:http` under Node — until the signal aborts. Both runtime calls are
 * type-checked against the runtimes' own declarations (Deno's built-in types and npm `bun-types`).
 *
 * @module
 */

import { OptionError } from "@sluice/core";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";

/** Anything with a fetch method: a Hono app, or `{ fetch }`. */
export interface FetchHandler {
  fetch(request: Request): Response | Promise<Response>;
}

/** Options of {@linkcode serve}. */
export interface ServeOptions {
  /** The port; 0 for any free one. 8080 by default. */
  readonly port?: number;
  /** The address to listen on; `0.0.0.0` by default (in a container, probes come from outside). */
  readonly hostname?: string;
  /** Stops the server: it stops accepting, finishes the requests it has, and `finished` resolves. */
  readonly signal?: AbortSignal;
}

/** A running server. */
export interface Served {
  /** The port it listens on (the one chosen when asked for 0). */
  readonly port: number;
  readonly hostname: string;
  /** `http://host:port`, with `127.0.0.1` for a server on every address. */
  readonly url: string;
  /** Resolves once the server has stopped. */
  readonly finished: Promise<void>;
  /** Stops it (as the signal does) and resolves once it has stopped. */
  shutdown(): Promise<void>;
}

function served(port: number, hostname: string, finished: Promise<void>, stop: () => void): Served {
  const host = hostname === "0.0.0.0" || hostname === "::" ? "127.0.0.1" : hostname;
  return {
    port,
    hostname,
    url: `http://${host.includes(":") ? `[${host}]` : host}:${port}`,
    finished,
    shutdown() {
      stop();
      return finished;
    },
  };
}

function serveDeno(
  handler: FetchHandler,
  port: number,
  hostname: string,
  signal?: AbortSignal,
): Promise<Served> {
  // onListen runs inside Deno.serve, before it returns the server.
  let listening!: (port: number) => void;
  const bound = new Promise<number>((resolve) => (listening = resolve));
  const server = Deno.serve(
    { port, hostname, signal, onListen: (address) => listening(address.port) },
    (request) => handler.fetch(request),
  );
  return bound.then((actual) => served(actual, hostname, server.finished, () => void server.shutdown()));
}

function serveBun(
  handler: FetchHandler,
  port: number,
  hostname: string,
  signal?: AbortSignal,
): Promise<Served> {
  const server = Bun.serve({ port, hostname, fetch: (request) => handler.fetch(request) });
  let done: () => void;
  const finished = new Promise<void>((resolve) => (done = resolve));
  let stopping: Promise<void> | undefined;
  const stop = () => {
    stopping ??= server.stop().then(() => done());
  };
  signal?.addEventListener("abort", stop, { once: true });
  if (signal?.aborted) stop();
  return Promise.resolve(served(server.port ?? port, hostname, finished, stop));
}

async function toRequest(incoming: IncomingMessage, origin: string): Promise<Request> {
  const headers = new Headers();
  for (const [name, value] of Object.entries(incoming.headers)) {
    for (const one of Array.isArray(value) ? value : value === undefined ? [] : [value]) {
      headers.append(name, one);
    }
  }
  const method = incoming.method ?? "GET";
  const chunks: Uint8Array[] = [];
  if (method !== "GET" && method !== "HEAD") { for await (const chunk of incoming) chunks.push(chunk); }
  return new Request(new URL(incoming.url ?? "/", origin), {
    method,
    headers,
    body: chunks.length > 0 ? new Blob(chunks as BlobPart[]) : undefined,
  });
}

async function writeResponse(response: Response, outgoing: ServerResponse): Promise<void> {
  outgoing.writeHead(response.status, [...response.headers].flat());
  if (response.body) {
    const reader = response.body.getReader();
    for (let part = await reader.read(); !part.done; part = await reader.read()) outgoing.write(part.value);
  }
  outgoing.end();
}

function serveNode(
  handler: FetchHandler,
  port: number,
  hostname: string,
  signal?: AbortSignal,
): Promise<Served> {
  return new Promise((resolve, reject) => {
    const server = createServer((incoming, outgoing) => {
      toRequest(incoming, `http://${incoming.headers.host ?? hostname}`)
        .then((request) => handler.fetch(request))
        .then((response) => writeResponse(response, outgoing))
        .catch(() => {
          if (!outgoing.headersSent) outgoing.writeHead(500);
          outgoing.end();
        });
    });
    const finished = new Promise<void>((done) => server.once("close", () => done()));
    const stop = () => {
      server.close();
      server.closeIdleConnections();
    };
    server.once("error", reject);
    server.listen(port, hostname, () => {
      signal?.addEventListener("abort", stop, { once: true });
      if (signal?.aborted) stop();
      const address = server.address();
      resolve(served(typeof address === "object" && address ? address.port : port, hostname, finished, stop));
    });
  });
}

/**
 * Serves `handler` (a Hono app) on the runtime's server; resolves once it listens.
 *
 * @example
 * ```ts
 * import { App, memory } from "@sluice/core";
 * import { http, serve } from "@sluice/http";
 * const app = new App(memory());
 * const stop = new AbortController();
 * const server = await serve(http(app), { port: 0, hostname: "127.0.0.1", signal: stop.signal });
 * console.log(`probes on ${server.url}/ready`);
 * stop.abort();
 * await server.finished;
 * ```
 */
export function serve(handler: FetchHandler, options: ServeOptions = {}): Promise<Served> {
  const port = options.port ?? 8080;
  const hostname = options.hostname ?? "0.0.0.0";
  if (!Number.isInteger(port) || port < 0 || port > 65_535) {
    return Promise.reject(new OptionError(`port must be a whole number from 0 to 65535, got ${port}`));
  }
  if ("Deno" in globalThis) return serveDeno(handler, port, hostname, options.signal);
  if ("Bun" in globalThis) return serveBun(handler, port, hostname, options.signal);
  return serveNode(handler, port, hostname, options.signal);
}
