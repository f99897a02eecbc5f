/**
 * `sluice docs gen | serve | diff`: an app's AsyncAPI document printed or written to a file, served over
 * HTTP, or compared with another version of it (exit code 1 on a breaking change, for CI).
 *
 * @module
 */

import process from "node:process";
import { readFile, writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import { asyncapi, type AsyncApiDocument, diff, formatChange, toYaml } from "@sluice/core/asyncapi";
import { loadApp, UsageError } from "./run.ts";

/** Options of {@linkcode docs}. */
export interface DocsOptions {
  /** `gen`: YAML instead of JSON (also when `out` ends with `.yaml` or `.yml`). */
  readonly yaml?: boolean;
  /** `gen`: the file to write instead of printing. */
  readonly out?: string;
  /** `serve`: the port; 8000 by default, 0 for any free one. */
  readonly port?: number;
  /** `serve`: the address to listen on; 127.0.0.1 by default. */
  readonly host?: string;
  /** `diff`: the changes as JSON. */
  readonly json?: boolean;
  /** `serve`: stops serving; SIGINT and SIGTERM by default. */
  readonly signal?: AbortSignal;
  /** Where output goes. */
  readonly print: (line: string) => void;
  /** Where warnings go. */
  readonly printError: (line: string) => void;
}

/** The document of the app at `target` (`app.ts[:export]`); warnings go to `printError`. */
async function documentOf(target: string, options: DocsOptions): Promise<AsyncApiDocument> {
  const app = await loadApp(target);
  return asyncapi(app, {}, { onWarning: (message) => options.printError(`sluice: warning: ${message}`) });
}

function oneTarget(command: string, rest: readonly string[]): string {
  if (rest.length !== 1) throw new UsageError(`sluice docs ${command} takes one target: app.ts[:export]`);
  return rest[0]!;
}

async function gen(rest: readonly string[], options: DocsOptions): Promise<number> {
  const target = oneTarget("gen", rest);
  const document = await documentOf(target, options);
  const yaml = options.yaml || /\.ya?ml$/i.test(options.out ?? "");
  const text = yaml ? toYaml(document) : `${JSON.stringify(document, null, 2)}\n`;
  if (options.out === undefined) {
    options.print(text.slice(0, -1));
    return 0;
  }
  await writeFile(options.out, text);
  options.printError(`sluice: wrote the AsyncAPI document of ${target} to ${options.out}`);
  return 0;
}

/** The page of `@sluice/http`, when that package is installed and exports `docsPage(document)`. */
async function page(document: AsyncApiDocument): Promise<string | undefined> {
  const name = "@sluice/http";
  try {
    const http = await import(name) as { docsPage?: (document: AsyncApiDocument) => string };
    return typeof http.docsPage === "function" ? http.docsPage(document) : undefined;
  } catch {
    return undefined;
  }
}

function stopSignal(): AbortSignal {
  const controller = new AbortController();
  const stop = (): void => controller.abort();
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
  return controller.signal;
}

async function serve(rest: readonly string[], options: DocsOptions): Promise<number> {
  const target = oneTarget("serve", rest);
  const port = options.port ?? 8000;
  if (!Number.isInteger(port) || port < 0 || port > 65_535) {
    throw new UsageError(`--port takes a port number (0 for any free one), got ${options.port}`);
  }
  const document = await documentOf(target, options);
  const bodies: Record<string, readonly [string, string]> = {
    "/asyncapi.json": ["application/json", `${JSON.stringify(document, null, 2)}\n`],
    "/asyncapi.yaml": ["application/yaml", toYaml(document)],
  };
  bodies["/asyncapi.yml"] = bodies["/asyncapi.yaml"]!;
  const html = await page(document);
  bodies["/"] = html === undefined ? bodies["/asyncapi.json"]! : ["text/html; charset=utf-8", html];
  if (html !== undefined) bodies["/docs"] = bodies["/"]!;
  const server: Server = createServer((request, response) => {
    const path = new URL(request.url ?? "/", "http://localhost").pathname;
    const [type, body] = bodies[path] ?? ["text/plain", "Not found: see /asyncapi.json or /asyncapi.yaml\n"];
    response.writeHead(bodies[path] ? 200 : 404, { "content-type": type });
    response.end(request.method === "HEAD" ? undefined : body);
  });
  const host = options.host ?? "127.0.0.1";
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => resolve());
  });
  const address = server.address();
  const bound = typeof address === "object" && address ? address.port : port;
  const origin = `http://${host.includes(":") ? `[${host}]` : host}:${bound}`;
  options.print(
    `Serving the AsyncAPI document of ${target} at ${origin}/asyncapi.json and ${origin}/asyncapi.yaml` +
      `${html === undefined ? "" : `, its page at ${origin}/`}; Ctrl-C stops`,
  );
  const signal = options.signal ?? stopSignal();
  if (!signal.aborted) {
    await new Promise((resolve) => signal.addEventListener("abort", resolve, { once: true }));
  }
  await new Promise<void>((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections?.();
  });
  return 0;
}

async function readDocument(file: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (error) {
    throw new UsageError(`Cannot read ${file}: ${(error as Error).message}`);
  }
  let document: { asyncapi?: unknown };
  try {
    document = JSON.parse(text);
  } catch {
    throw new UsageError(
      `${file} is not JSON: sluice docs diff compares JSON documents, as sluice docs gen writes them ` +
        "without --yaml",
    );
  }
  if (typeof document?.asyncapi !== "string" || !document.asyncapi.startsWith("3.")) {
    throw new UsageError(`${file} is not an AsyncAPI 3 document (it has no "asyncapi": "3.x.x")`);
  }
  return document;
}

async function compare(rest: readonly string[], options: DocsOptions): Promise<number> {
  if (rest.length !== 2) throw new UsageError("sluice docs diff takes two files: old.json new.json");
  // One after the other, so that a wrong use reports the first file's problem, always the same one.
  const before = await readDocument(rest[0]!);
  const after = await readDocument(rest[1]!);
  const changes = diff(before, after);
  const breaking = changes.filter((c) => c.kind === "breaking").length;
  if (options.json) {
    options.print(JSON.stringify({ breaking, additive: changes.length - breaking, changes }, null, 2));
  } else if (changes.length === 0) {
    options.print("No changes to servers, channels, operations or messages.");
  } else {
    for (const change of changes) options.print(formatChange(change));
  }
  return breaking > 0 ? 1 : 0;
}

/** `sluice docs <gen|serve|diff> …`; resolves with the exit code. */
export function docs(args: readonly string[], options: DocsOptions): Promise<number> {
  const [command, ...rest] = args;
  if (command === "gen") return gen(rest, options);
  if (command === "serve") return serve(rest, options);
  if (command === "diff") return compare(rest, options);
  throw new UsageError(
    command === undefined
      ? "sluice docs takes gen, serve or diff"
      : `Unknown docs command "${command}": use gen, serve or diff`,
  );
}
