/**
 * `sluice publish`: sends one message (or a request) to any broker by URL.
 *
 * @module
 */

import { connect } from "@sluice/core";
import { UsageError } from "./run.ts";

/** Options of {@linkcode publish}. */
export interface PublishCommandOptions {
  readonly rpc?: boolean;
  readonly timeout?: number;
  readonly headers?: Readonly<Record<string, string>>;
  readonly correlationId?: string;
  /** Where to print the reply. */
  readonly print?: (line: string) => void;
}

/** A body from the command line: JSON when it parses as JSON, text otherwise. */
export function parseBody(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** `sluice publish`. Resolves with the exit code; throws a {@linkcode UsageError} for a `memory://` URL. */
export async function publish(
  url: string,
  channel: string,
  body: string,
  options: PublishCommandOptions = {},
): Promise<number> {
  const print = options.print ?? ((line: string) => console.log(line));
  if (/^memory:/i.test(url.trim())) {
    throw new UsageError(
      "memory:// lives inside one process, so sluice publish would reach only a new, empty broker of its " +
        "own, which no app subscribes to. Use the URL of a real broker (e.g. kafka://localhost:9092, " +
        "nats://localhost:4222), or publish from the app's own process, e.g. with testBroker from " +
        "@sluice/core/testing in a test",
    );
  }
  const broker = await connect(url, { logLevel: "warn" });
  try {
    const publishOptions = { headers: options.headers, correlationId: options.correlationId };
    if (options.rpc) {
      const reply = await broker.request(parseBody(body), channel, {
        ...publishOptions,
        timeout: options.timeout ?? 5000,
      });
      const value = reply.body instanceof Uint8Array ? new TextDecoder().decode(reply.body) : reply.body;
      print(typeof value === "string" ? value : JSON.stringify(value));
    } else {
      await broker.publish(parseBody(body), channel, publishOptions);
    }
    return 0;
  } finally {
    await broker.close();
  }
}
