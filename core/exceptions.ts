/**
 * Exception handling as a policy: a middleware that maps error types to what happens to the message — ack,
 * nack (redelivery, after a delay), reject — and to a reply, as FastStream's `ExceptionMiddleware` does.
 * It runs around decoding, validation and the handler, after the subscriber's in-process `retry` gave up;
 * an error no rule matches, or a rule that answers `"rethrow"`, goes on to the subscriber's own error
 * policy (`onError`, `deadLetter`), so the two compose.
 *
 * @module
 */

import type { Context } from "./context.ts";
import { describeError } from "./errors.ts";
import type { Middleware } from "./middleware.ts";

/**
 * What a rule decides. `undefined` (a rule that returns nothing) is `"ack"`: the error was handled.
 * - `"ack"`: acknowledge the message; it is done.
 * - `"nack"` or `{ nack: { delay } }`: return it to the broker for redelivery, after `delay` ms where the
 *   broker can delay.
 * - `"reject"`: give it up (the broker dead-letters it where configured).
 * - `{ reply, headers? }`: answer a request with `reply` (when the message has a reply address), then ack.
 * - `"rethrow"`: leave it to the subscriber's error policy.
 */
export type ExceptionOutcome =
  | "ack"
  | "nack"
  | "reject"
  | "rethrow"
  | { readonly nack: { readonly delay?: number } }
  | { readonly reply: unknown; readonly headers?: Readonly<Record<string, string>> }
  | undefined
  | void;

/** A rule's function: the error, typed by the class it was registered for, and the message's context. */
export type ExceptionHandler<E> = (
  error: E,
  context: Context,
) => ExceptionOutcome | Promise<ExceptionOutcome>;

// deno-lint-ignore no-explicit-any
type ErrorClass<E> = abstract new (...args: any[]) => E;

/** An exception middleware; add rules with {@linkcode ExceptionMiddleware.on}. */
export interface ExceptionMiddleware extends Middleware {
  /**
   * Handles errors that are instances of `type` with `handler`. Rules are tried in the order they were
   * added; the first whose class matches decides, so add specific classes before their base classes.
   */
  on<E>(type: ErrorClass<E>, handler: ExceptionHandler<E>): ExceptionMiddleware;
}

interface Rule {
  readonly type: ErrorClass<unknown>;
  readonly handler: ExceptionHandler<unknown>;
}

/**
 * Creates an exception middleware. Use it on a broker, a router or a subscriber like any middleware.
 *
 * @example
 * ```ts
 * import { exceptions, memory, ValidationError } from "@sluice/core";
 * class OutOfStock extends Error {}
 * class Busy extends Error {}
 * const broker = memory();
 * broker.use(
 *   exceptions()
 *     .on(OutOfStock, (error) => ({ reply: { error: error.message } }))
 *     .on(Busy, () => ({ nack: { delay: 1000 } }))
 *     .on(ValidationError, () => "reject"),
 * );
 * ```
 */
export function exceptions(): ExceptionMiddleware {
  const rules: Rule[] = [];
  const middleware: ExceptionMiddleware = {
    name: "exceptions",
    async consume(context, next) {
      try {
        return await next();
      } catch (error) {
        const rule = rules.find((r) => error instanceof r.type);
        if (!rule) throw error;
        const outcome = await rule.handler(error, context);
        if (outcome === "rethrow") throw error;
        await settle(context, error, outcome);
        return undefined;
      }
    },
    on(type, handler) {
      rules.push({ type: type as ErrorClass<unknown>, handler: handler as ExceptionHandler<unknown> });
      return middleware;
    },
  };
  return middleware;
}

async function settle(context: Context, error: unknown, outcome: ExceptionOutcome): Promise<void> {
  const messages = context.batch ?? [context.message];
  const fields = { messageId: context.message.messageId, error: describeError(error) };
  if (outcome === "nack" || (typeof outcome === "object" && outcome !== null && "nack" in outcome)) {
    const delay = typeof outcome === "object" ? outcome.nack.delay : undefined;
    context.logger.warn(`Handled ${describeError(error)}: returned for redelivery`, {
      ...fields,
      policy: "nack",
    });
    await Promise.all(messages.map((m) => m.nack(delay === undefined ? undefined : { delay })));
    return;
  }
  if (outcome === "reject") {
    context.logger.warn(`Handled ${describeError(error)}: rejected`, { ...fields, policy: "reject" });
    await Promise.all(messages.map((m) => m.reject()));
    return;
  }
  if (typeof outcome === "object" && outcome !== null && "reply" in outcome) {
    await context.reply(outcome.reply, { headers: outcome.headers });
  }
  context.logger.debug(`Handled ${describeError(error)}: acknowledged`, { ...fields, policy: "ack" });
  await Promise.all(messages.map((m) => m.ack()));
}
