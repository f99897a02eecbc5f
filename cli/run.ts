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
  const { file, name } = parseTarget(target);
  const url = pathToFileURL(resolve(file)).href;
  let module: Record<string, unknown>;
  try {
    module = await import(url);
  } catch (error) {
    throw new UsageError(`Cannot load ${file}: ${(error as Error).message}`, { cause: error });
  }
  const value = module[name];
  if (value instanceof App) return value;
  if (value instanceof Broker) return new App(value);
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

/** Runs the app in this process until `signal` aborts. */
async function runHere(target: string, options: RunOptions): Promise<void> {
  const app = await loadApp(target);
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
  try {
    await app.run(options.signal ?? signalController().signal);
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
