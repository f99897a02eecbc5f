/**
 * Option schemas for plugins: one helper turns a plugin's schema of its own options into a Standard Schema
 * that also knows the core's options, rejects unknown keys with a "did you mean" hint, and throws an
 * {@linkcode OptionError} naming the option and what is allowed.
 *
 * @module
 */

import { OptionError } from "../errors.ts";
import type { StandardSchemaV1 } from "../schema.ts";

/** What {@linkcode optionsSchema} needs. */
export interface OptionsSchemaInit {
  /** What the options are of, for messages: `NATS broker`, `Kafka subscriber`. */
  readonly what: string;
  /** The plugin's own option names. */
  readonly keys: readonly string[];
  /** Validates the plugin's own options (synchronously); the core's are removed first. */
  readonly schema: StandardSchemaV1;
  /** The core's option names that the options may also hold: accepted here, checked by the core. */
  readonly core?: readonly string[];
}

/** A Standard Schema of a plugin's options, with what `parseOptions` needs to explain a failure. */
export interface OptionsSchema<T> extends StandardSchemaV1<unknown, T> {
  /** What the options are of. */
  readonly what: string;
  /** Every option name accepted: the plugin's and the core's. */
  readonly keys: readonly string[];
}

/**
 * The schema of a plugin's options, as each plugin exports for its broker, subscriber and publish options.
 *
 * @example
 * ```ts
 * import { type } from "arktype";
 * import { CORE_BROKER_OPTIONS } from "@sluice/core";
 * import { optionsSchema, parseOptions } from "@sluice/core/kit";
 * const shape = type({ "servers?": "string[]", "token?": "string" });
 * const brokerOptions = optionsSchema<{ servers?: string[]; token?: string }>({
 *   what: "Toy broker",
 *   keys: ["servers", "token"],
 *   schema: shape,
 *   core: CORE_BROKER_OPTIONS,
 * });
 * parseOptions(brokerOptions, { servers: ["a"], logLevel: "debug" }); // passes
 * ```
 */
export function optionsSchema<T>(init: OptionsSchemaInit): OptionsSchema<T> {
  const own = new Set(init.keys);
  const core = new Set(init.core ?? []);
  const keys = [...init.keys, ...(init.core ?? [])];
  const validate = (value: unknown): StandardSchemaV1.Result<T> => {
    if (typeof value !== "object" || value === null || Array.isArray(value)) {
      return { issues: [{ message: `${init.what} options must be an object` }] };
    }
    const mine: Record<string, unknown> = {};
    const issues: StandardSchemaV1.Issue[] = [];
    for (const [key, option] of Object.entries(value)) {
      if (own.has(key)) {
        if (option !== undefined) mine[key] = option;
      } else if (!core.has(key)) {
        const hint = didYouMean(key, keys);
        issues.push({
          message: `unknown option "${key}"${hint ? `: did you mean "${hint}"?` : ""} Allowed: ${
            keys.join(", ")
          }`,
          path: [key],
        });
      }
    }
    if (issues.length > 0) return { issues };
    const result = init.schema["~standard"].validate(mine);
    if (result instanceof Promise) {
      return { issues: [{ message: `${init.what} options need a synchronous schema` }] };
    }
    if (result.issues) return { issues: result.issues };
    return { value: value as T };
  };
  return {
    what: init.what,
    keys,
    "~standard": { version: 1, vendor: "sluice", validate },
  };
}

/**
 * The shape of a schema definition of `T`'s options, written with optional keys (`"servers?"`): the compiler
 * then holds the definition to the interface — a missing or misspelt key is an error — so that each option
 * name is written twice, in the interface and in the definition, and {@linkcode optionNames} reads the keys.
 */
export type OptionsShape<T> = { readonly [K in keyof T as `${K & string}?`]-?: unknown };

/** The option names of a definition written as an {@linkcode OptionsShape}: its keys without the `?`. */
export function optionNames(shape: object): string[] {
  return Object.keys(shape).map((key) => key.endsWith("?") ? key.slice(0, -1) : key);
}

/** Validates options; throws an {@linkcode OptionError} naming each bad option and what is allowed. */
export function parseOptions<T>(schema: OptionsSchema<T>, value: unknown, where = ""): T {
  const result = schema["~standard"].validate(value) as StandardSchemaV1.Result<T>;
  if (!result.issues) return result.value;
  const lines = result.issues.map((issue) => {
    const path = (issue.path ?? []).map((p) => String(typeof p === "object" ? p.key : p)).join(".");
    const message = path && !issue.message.includes(path) ? `${path}: ${issue.message}` : issue.message;
    return message;
  });
  throw new OptionError(`Invalid ${schema.what} option${where ? ` of ${where}` : ""}: ${lines.join("; ")}`);
}

/** The candidate closest to `word` by edit distance, if one is close enough to be a likely typo. */
export function didYouMean(word: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of candidates) {
    const distance = editDistance(word.toLowerCase(), candidate.toLowerCase());
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return best !== undefined && bestDistance <= Math.max(2, Math.floor(word.length / 3)) ? best : undefined;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(
        previous[j]! + 1,
        current[j - 1]! + 1,
        previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1),
      );
    }
    previous = current;
  }
  return previous[b.length]!;
}
