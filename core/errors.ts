/**
 * The errors Sluice throws. Every message names the thing that failed and the way out.
 *
 * @module
 */

/** The base class of every error Sluice throws. */
export class SluiceError extends Error {
  /** Creates an error; `cause` keeps the underlying error for logs and debuggers. */
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** A broker could not be reached, or the connection was lost. */
export class ConnectionError extends SluiceError {}

/** An option given to a broker, subscriber or publisher is not allowed. */
export class OptionError extends SluiceError {}

/** A URL's scheme has no registered plugin. */
export class UnknownSchemeError extends SluiceError {}

/** A plugin's client library is not installed. */
export class MissingClientError extends SluiceError {}

/** The driver cannot do what was asked (see its capability flags). */
export class NotSupportedError extends SluiceError {}

/**
 * An emulation (`testBroker()` in memory) was asked for something it does not reproduce faithfully: rather than
 * behave differently from the real broker, it refuses. The message names the option or case and the way
 * out, running the test against the real broker with `testBroker(broker, { real: true })`; each plugin's
 * README lists these cases in its "Emulation limits" table.
 */
export class EmulationLimitError extends NotSupportedError {
  /**
   * Creates the error for `broker`'s emulation refusing `what` (an option or a case) because `why`.
   *
   * @example
   * ```ts
   * import { EmulationLimitError } from "@sluice/core";
   * new EmulationLimitError("mqtt", "group on a $ filter", "brokers disagree");
   * ```
   */
  constructor(broker: string, what: string, why: string) {
    super(
      `The ${broker} emulation does not reproduce ${what}: ${why}. Run this test against the real broker ` +
        `with testBroker(broker, { real: true })`,
    );
  }
}

/** A message body could not be decoded (malformed bytes or an unknown content type). */
export class DecodeError extends SluiceError {}

/** A body is larger than the subscriber's `maxBodySize`; it was not decoded. */
export class MessageTooLargeError extends DecodeError {}

/** A body failed its schema. `issues` lists what was wrong, path by path. */
export class ValidationError extends SluiceError {
  /** The schema's issues, each with a message and the path of the offending field. */
  readonly issues: readonly { readonly message: string; readonly path?: readonly PropertyKey[] }[];

  /** Creates the error from a schema's issues. */
  constructor(
    message: string,
    issues: readonly { readonly message: string; readonly path?: readonly PropertyKey[] }[],
  ) {
    super(message);
    this.issues = issues;
  }
}

/** A request got no reply in time, or a wait ran out. */
export class TimeoutError extends SluiceError {}

/** No handler's filter accepted a message: add a handler without a filter last. */
export class NoHandlerError extends SluiceError {}

/** The responder of a request failed: its error, as the reply's `x-sluice-error` header carried it. */
export class RemoteError extends SluiceError {}

/** The broker or app is not in a state that allows the call (not connected, already closed). */
export class StateError extends SluiceError {}

/**
 * Thrown by a batch handler to fail only some messages of its batch: the others are acknowledged,
 * the failed ones follow the subscriber's error policy.
 *
 * @example
 * ```ts
 * import { BatchFailure } from "@sluice/core";
 * const failed: number[] = [1];
 * throw new BatchFailure(failed, new Error("row 1 is invalid"));
 * ```
 */
export class BatchFailure extends SluiceError {
  /** Indexes, in the batch, of the messages that failed. */
  readonly failed: readonly number[];

  /** Creates the failure for the messages at `failed`. */
  constructor(failed: readonly number[], cause?: unknown) {
    super(`${failed.length} message(s) of the batch failed`, { cause });
    this.failed = failed;
  }
}

/** Returns a short, single-line description of any thrown value, for logs. */
export function describeError(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  return String(error);
}
