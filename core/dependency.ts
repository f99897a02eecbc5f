/**
 * Dependencies: what handlers use beside the message — a database pool, a client, a configuration, a
 * transaction per message. A {@linkcode Dependency} names one and its type; an app, a broker or a router
 * provides it (a value, something made at startup and closed at shutdown, or something made for each
 * message and released after it); a subscriber or a router `needs` it, which types `ctx.deps`. Whatever a
 * subscriber needs and nothing above it provides stops the start, naming the dependency — never an
 * `undefined` at run time.
 *
 * The split follows FastStream's `Depends` and NestJS's providers: declaring a dependency, providing it and
 * using it are three places, so that a test provides a fake where the app provides the real thing.
 *
 * @module
 */

import type { Context, NoDependencies } from "./context.ts";
import { SluiceError } from "./errors.ts";

/**
 * A dependency: a name for errors and logs, and the type `T` of its value. Make one with
 * {@linkcode dependency}; the object itself is the key, so two dependencies of the same name differ.
 */
export interface Dependency<T> {
  /** Names it in errors. */
  readonly name: string;
  /** Carries the type only; never set. */
  readonly "~type"?: T;
}

/**
 * Declares a dependency of type `T`.
 *
 * @example
 * ```ts
 * import { dependency } from "@sluice/core";
 * interface Pool { query(sql: string): Promise<unknown[]> }
 * export const Db = dependency<Pool>("database pool");
 * ```
 */
export function dependency<T>(name: string): Dependency<T> {
  return Object.freeze({ name });
}

/** Gives a dependency's value from another dependency's provider. */
export type Use = <U>(dependency: Dependency<U>) => U;

/** A value given as it is: a configuration, a client made elsewhere, a fake in a test. */
export interface ValueProvider<T> {
  /** The value. */
  readonly value: T;
}

/**
 * Made once when the broker (or the app) starts — after the app's `onStartup` hooks, before anything
 * consumes — and closed when it stops, after the last handler finished: a pool, a client.
 */
export interface StartupProvider<T> {
  /** Makes the value; `use` gives the values of dependencies provided at the same level or above. */
  readonly startup: (use: Use) => T | Promise<T>;
  /** Closes it, in the reverse order of making. */
  readonly shutdown?: (value: T) => void | Promise<void>;
}

/**
 * Made for each message that a subscriber needing it handles (once for a batch), before its consume
 * middlewares and handler, and released after them: a transaction, a scoped logger, a unit of work. Being
 * made outside the middlewares, so that they all see `ctx.deps`, a provider that throws fails the message
 * straight to the subscriber's error policy (`onError`, `deadLetter`), past any `exceptions()` rule.
 */
export interface MessageProvider<T> {
  /** Makes the value for the message of `context`; `use` gives other dependencies' values. */
  readonly perMessage: (context: Context, use: Use) => T | Promise<T>;
  /**
   * Releases it once the handling ended, with the error it failed with (after retries), if any: commit or
   * roll back. Released in the reverse order of making.
   */
  readonly release?: (value: T, error: unknown) => void | Promise<void>;
}

/** How a dependency is provided. */
export type Provider<T> = ValueProvider<T> | StartupProvider<T> | MessageProvider<T>;

/** What a subscriber or a router needs: the names it uses on `ctx.deps`, each with its dependency. */
export type Needs = Readonly<Record<string, Dependency<unknown>>>;

export type { NoDependencies };

/** The type of `ctx.deps` for `needs`. */
export type DepsOf<N> = N extends Needs
  ? { readonly [K in keyof N]: N[K] extends Dependency<infer T> ? T : never }
  : NoDependencies;

/** A subscriber needs a dependency that nothing above it provides, or a provider failed. */
export class DependencyError extends SluiceError {}
