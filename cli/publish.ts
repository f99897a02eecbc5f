/**
 * `sluice publish`: sends one message (or a request) to any broker by URL.
 *
 * @module
 */

import { connect } from "@sluice/core";

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

/** `sluice publish`. Resolves with the exit code. */
export async function publish(
  url: string,
  channel: string,
  body: string,
  options: PublishCommandOptions = {},
): Promise<number> {
  const print = options.print ?? ((line: string) => console.log(line));
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
