/**
 * The errors of publishing: a failed publish named by its message, channel and broker, and a publish before
 * the broker connected.
 *
 * @module
 */

import { describeError, SluiceError, StateError } from "./errors.ts";
import type { Publication } from "./middleware.ts";

/** A failed publish's error: a Sluice error as is; any other wrapped, naming message, channel and broker. */
export function publishFailed(
  error: unknown,
  sent: Publication | readonly Publication[],
  url: string,
): unknown {
  if (error instanceof SluiceError) return error;
  const what = Array.isArray(sent)
    ? `${sent.length} message(s) to ${sent[0]?.channel}`
    : `message ${(sent as Publication).messageId} to ${(sent as Publication).channel}`;
  return new SluiceError(`Cannot publish ${what} on ${url}: ${describeError(error)}`, { cause: error });
}

/** Throws a {@linkcode StateError} naming how to connect. */
export function notConnected(url: string): never {
  throw new StateError(`Not connected to ${url}: call broker.connect() or app.start() first`);
}
