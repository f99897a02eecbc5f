/**
 * The `sluice` command line: `sluice run app.ts[:export]`, `sluice publish <url> <channel> <body>` and
 * `sluice docs gen|serve|diff`.
 * Runs under Deno and Bun; `main()` is the whole CLI and returns the exit code.
 *
 * @module
 */

import { parseArgs } from "node:util";
import type { LogLevel } from "@sluice/core";
import { run, UsageError } from "./run.ts";
import { publish } from "./publish.ts";
import { docs } from "./docs.ts";

export { loadApp, parseTarget, run, UsageError } from "./run.ts";
export { parseBody, publish } from "./publish.ts";
export { docs, type DocsOptions } from "./docs.ts";

/** The help text. */
export const HELP = `sluice — run and talk to Sluice apps

Usage:
  sluice run <file.ts>[:export] [--workers N] [--watch] [--http PORT [--host 0.0.0.0]]
             [--log-level debug|info|warn|error]
      Runs the App (or Broker) exported as <export> ("app" by default) until Ctrl-C.
      --workers N   N processes, each with its own connections (competing consumers share the load)
      --watch       restart when a file in the app's folder changes
      --http PORT   serves @sluice/http while the app runs: /health, /ready, /metrics, /asyncapi.json,
                    /docs (the module's \`api\` export if it has one, with your routes); on SIGTERM
                    /ready answers 503 while the app drains
  sluice publish <url> <channel> <body> [--rpc] [--timeout MS] [--header K=V]... [--correlation-id ID]
      Publishes <body> (JSON if it parses, text otherwise) to <channel> of the broker at <url>
      (kafka://, amqp://, nats://, redis://, mqtt://, sqs://). With --rpc, waits for the reply and prints
      it. Not memory://: that broker lives inside one process, which sluice publish cannot reach.
  sluice docs gen <file.ts>[:export] [--yaml] [--out FILE]
      Prints the app's AsyncAPI 3.0 document as JSON (YAML with --yaml, or when FILE ends with .yaml),
      or writes it to FILE.
  sluice docs serve <file.ts>[:export] [--port 8000] [--host 127.0.0.1]
      Serves it at /asyncapi.json and /asyncapi.yaml, and with @sluice/http installed its docs page at /,
      until Ctrl-C.
  sluice docs diff <old.json> <new.json> [--json]
      Lists the changes from old to new, breaking ones first, one per line; exits 1 if one is breaking.
  sluice --help

Exit codes: 0 success, 1 failure (connection, timeout, app error, a breaking change for docs diff),
2 usage error.`;

/** Options of {@linkcode main}, for tests and embedding. */
export interface MainOptions {
  /** Stops `run`; SIGINT and SIGTERM by default. */
  readonly signal?: AbortSignal;
  /** Where output goes; console.log by default. */
  readonly print?: (line: string) => void;
  /** Where errors go; console.error by default. */
  readonly printError?: (line: string) => void;
}

/** Runs the CLI with `args` (without the program name); resolves with the exit code. */
export async function main(args: readonly string[], options: MainOptions = {}): Promise<number> {
  const print = options.print ?? ((line: string) => console.log(line));
  const printError = options.printError ?? ((line: string) => console.error(line));
  try {
    const { values, positionals } = parseArgs({
      args: [...args],
      allowPositionals: true,
      options: {
        help: { type: "boolean", short: "h" },
        workers: { type: "string" },
        watch: { type: "boolean" },
        "log-level": { type: "string" },
        rpc: { type: "boolean" },
        timeout: { type: "string" },
        header: { type: "string", multiple: true },
        "correlation-id": { type: "string" },
        yaml: { type: "boolean" },
        out: { type: "string" },
        port: { type: "string" },
        host: { type: "string" },
        json: { type: "boolean" },
        http: { type: "string" },
      },
    });
    const [command, ...rest] = positionals;
    if (values.help || command === undefined || command === "help") {
      print(HELP);
      return command === undefined && !values.help ? 2 : 0;
    }
    if (command === "run") {
      if (rest.length !== 1) throw new UsageError("sluice run takes one target: sluice run app.ts[:export]");
      return await run(rest[0]!, args, {
        workers: values.workers === undefined ? undefined : Number(values.workers),
        watch: values.watch,
        http: values.http === undefined ? undefined : Number(values.http),
        host: values.host,
        logLevel: values["log-level"] as LogLevel | undefined,
        signal: options.signal,
      });
    }
    if (command === "publish") {
      if (rest.length !== 3) throw new UsageError("sluice publish takes <url> <channel> <body>");
      const headers: Record<string, string> = {};
      for (const pair of values.header ?? []) {
        const eq = pair.indexOf("=");
        if (eq < 1) throw new UsageError(`--header takes K=V, got "${pair}"`);
        headers[pair.slice(0, eq)] = pair.slice(eq + 1);
      }
      const timeout = values.timeout === undefined ? undefined : Number(values.timeout);
      if (timeout !== undefined && !(timeout > 0)) {
        throw new UsageError("--timeout takes milliseconds, e.g. 5000");
      }
      const [url, channel, body] = rest as [string, string, string];
      return await publish(url, channel, body, {
        rpc: values.rpc,
        timeout,
        headers,
        correlationId: values["correlation-id"],
        print,
      });
    }
    if (command === "docs") {
      const port = values.port === undefined ? undefined : Number(values.port);
      return await docs(rest, { ...values, port, signal: options.signal, print, printError });
    }
    throw new UsageError(`Unknown command "${command}": use run, publish or docs (sluice --help)`);
  } catch (error) {
    const usage = error instanceof UsageError ||
      (error as { code?: string }).code?.startsWith("ERR_PARSE_ARGS");
    printError(`sluice: ${(error as Error).message}`);
    if (usage) printError("Run sluice --help for usage.");
    return usage ? 2 : 1;
  }
}
