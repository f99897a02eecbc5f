/**
 * `sluice run`: loads an app module and runs its app until SIGINT or SIGTERM, optionally in several worker
 * processes and restarting on file changes.
 *
 * @module
 */

import process from "node:process";
import { type ChildProcess, spawn } from "node:child_process";
import { watch } from "node:fs";
import { dirname, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { App, Broker, createLogger, type LogLevel, SluiceError } from "@sluice/core";
import { relaunch } from "./_relaunch.ts";

/** A usage mistake: exit code 2. */
export class UsageError extends SluiceError {}

const LEVELS: readonly LogLevel[] = ["debug", "info", "warn", "error"];

/** Splits `app.ts:name` into the file and the export (`app` by default). */
export function parseTarget(target: string): { file: string; name: string } {
  const colon = target.lastIndexOf(":");
  // A colon after the last path separator names the export; "C:\\app.ts" keeps its drive letter.
  if (colon > target.lastIndexOf("/") && colon > 1) {
    return { file: target.slice(0, colon), name: target.slice(colon + 1) };
  }
  return { file: target, name: "app" };
}

/** Imports the module and returns its app (a broker export is wrapped in an app). */
export async function loadApp(target: string): Promise<App> {
  return (await loadTarget(target)).app;
}

/** Imports the module; returns its app and the module's exports. */
async function loadTarget(target: string): Promise<{ app: App; module: Record<string, unknown> }> {
  const { file, name } = parseTarget(target);
  const url = pathToFileURL(resolve(file)).href;
  let module: Record<string, unknown>;
  try {
    module = await import(url);
  } catch (error) {
    throw new UsageError(`Cannot load ${file}: ${(error as Error).message}`, { cause: error });
  }
  const value = module[name];
  if (value instanceof App) return { app: value, module };
  if (value instanceof Broker) return { app: new App(value), module };
  const found = Object.entries(module)
    .filter(([, v]) => v instanceof App || v instanceof Broker)
    .map(([k]) => k);
  throw new UsageError(
    `${file} has no App or Broker export named "${name}"` +
      (found.length
        ? `; it exports ${found.join(", ")}: run ${file}:${found[0]}`
        : ": export your app, e.g. `export const app = new App(broker)`"),
  );
}

/** Options of {@linkcode runApp}. */
export interface RunOptions {
  readonly logLevel?: LogLevel;
  readonly workers?: number;
  readonly watch?: boolean;
  /** Serves the app's HTTP side (`@sluice/http`) on this port while it runs. */
  readonly http?: number;
  /** The address `http` listens on; `0.0.0.0` by default, so that Kubernetes' probes reach it. */
  readonly host?: string;
  /** Stops the app; SIGINT and SIGTERM by default. */
  readonly signal?: AbortSignal;
}

function signalController(): AbortController {
  const controller = new AbortController();
  const stop = () => controller.abort();
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
  return controller;
}

/** What `--http` needs of `@sluice/http`. */
interface HttpPackage {
  http(app: App): { fetch(request: Request): Response | Promise<Response> };
  serve(
    handler: { fetch(request: Request): Response | Promise<Response> },
    options: { port: number; hostname?: string; signal: AbortSignal },
  ): Promise<{ url: string; finished: Promise<void> }>;
}

async function importHttp(): Promise<HttpPackage> {
  const name = "@sluice/http";
  try {
    return await import(name) as HttpPackage;
  } catch (error) {
    throw new UsageError(
      `--http needs @sluice/http: install it (npm install @sluice/http, or bun add / deno add) (${
        (error as Error).message
      })`,
      { cause: error },
    );
  }
}

/**
 * Serves the HTTP side for `--http`: the module's `api` export when it is a fetch handler (the user's
 * `http(app)` with their routes), else `http(app)`. It listens before the app starts, so that `/health`
 * answers and `/ready` says `starting` meanwhile.
 */
async function startHttp(
  app: App,
  module: Record<string, unknown>,
  options: RunOptions,
  stop: AbortSignal,
): Promise<{ readonly finished: Promise<void> }> {
  const http = await importHttp();
  const own = module.api;
  const handler = typeof own === "object" && own !== null && "fetch" in own && typeof own.fetch === "function"
    ? own as { fetch(request: Request): Response | Promise<Response> }
    : http.http(app);
  const server = await http.serve(handler, {
    port: options.http!,
    hostname: options.host ?? "0.0.0.0",
    signal: stop,
  });
  app.logger.info(`HTTP on ${server.url}: /health /ready /metrics /asyncapi.json /docs`);
  return server;
}

/** Runs the app in this process until `signal` aborts. */
async function runHere(target: string, options: RunOptions): Promise<void> {
  const { app, module } = await loadTarget(target);
  if (options.logLevel) {
    for (const broker of app.brokers) {
      broker.logger = createLogger({
        level: options.logLevel,
        format: broker.logFormat,
        fields: { broker: broker.driver.name },
      });
    }
  }
  // Node ends a process whose event loop holds nothing, signal handlers notwithstanding (Deno and Bun wait
  // for them): an app on the memory broker has no socket that would keep it running until Ctrl-C.
  const keepAlive = setInterval(() => {}, 2 ** 31 - 1);
  // On SIGTERM the app stops running at once, so /ready answers 503 while it drains; the HTTP server
  // stops last, so probes get answers until the end.
  const httpStop = new AbortController();
  try {
    const served = options.http === undefined
      ? undefined
      : await startHttp(app, module, options, httpStop.signal);
    try {
      await app.run(options.signal ?? signalController().signal);
    } finally {
      httpStop.abort();
      await served?.finished;
    }
  } finally {
    clearInterval(keepAlive);
  }
}

/**
 * Sends SIGTERM to a child that is still running. Not `child.kill()`: under Deno it makes the child's exit
 * event report the signal and no exit code even when the child caught the signal and exited 0.
 */
function stopChild(child: ChildProcess): void {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  try {
    process.kill(child.pid, "SIGTERM");
  } catch {
    // It exited meanwhile.
  }
}

/** Runs `count` copies of this command as child processes, forwarding signals; restarts none. */
function runWorkers(args: readonly string[], count: number, signal: AbortSignal): Promise<number> {
  const { command, args: prefix } = relaunch();
  const childArgs = args.filter((a, i) =>
    a !== "--workers" && args[i - 1] !== "--workers" && !a.startsWith("--workers=")
  );
  const children = Array.from({ length: count }, (_, i) =>
    spawn(command, [...prefix, ...childArgs], {
      stdio: "inherit",
      env: { ...process.env, SLUICE_WORKER: String(i + 1) },
    }));
  signal.addEventListener("abort", () => children.forEach(stopChild), { once: true });
  return Promise.all(
    children.map((c) => new Promise<number>((done) => c.once("exit", (code) => done(code ?? 1)))),
  )
    .then((codes) => Math.max(0, ...codes));
}

/** `sluice run`. Resolves with the exit code. */
export async function run(target: string, args: readonly string[], options: RunOptions): Promise<number> {
  if (options.logLevel && !LEVELS.includes(options.logLevel)) {
    throw new UsageError(`--log-level must be one of ${LEVELS.join(", ")}, got "${options.logLevel}"`);
  }
  const workers = options.workers ?? 1;
  if (!Number.isInteger(workers) || workers < 1) throw new UsageError(`--workers must be a whole number ≥ 1`);
  if (
    options.http !== undefined &&
    (!Number.isInteger(options.http) || options.http < 0 || options.http > 65_535)
  ) {
    throw new UsageError(`--http takes a port number, e.g. --http 8080`);
  }
  if (options.http !== undefined && workers > 1) {
    throw new UsageError(
      "--http serves one process's probes: with --workers, each worker would need its own port. " +
        "Run one worker per container with --http instead",
    );
  }
  const signal = options.signal ?? signalController().signal;
  if (workers > 1) return await runWorkers(args, workers, signal);
  if (!options.watch) {
    await runHere(target, { ...options, signal });
    return 0;
  }
  // --watch: run in a child process and restart it whenever a file next to the app changes.
  const folder = dirname(resolve(parseTarget(target).file));
  const childArgs = args.filter((a) => a !== "--watch");
  for (;;) {
    const restart = new AbortController();
    const watcher = watch(folder, { recursive: true }, () => restart.abort());
    const both = AbortSignal.any([signal, restart.signal]);
    await runWorkers(childArgs, 1, both);
    watcher.close();
    if (signal.aborted) return 0;
    console.error(`sluice: a file in ${folder} changed, restarting`);
  }
}
