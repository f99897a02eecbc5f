/**
 * Standard Schema (https://standardschema.dev): the interface arktype, zod and valibot share. The core knows
 * only this interface, never a validation library.
 *
 * @module
 */

import { ValidationError } from "./errors.ts";

/** The Standard Schema v1 interface. */
export interface StandardSchemaV1<Input = unknown, Output = Input> {
  /** The standard properties. */
  readonly "~standard": StandardSchemaV1.Props<Input, Output>;
}

/** Types of the Standard Schema v1 interface. */
export declare namespace StandardSchemaV1 {
  /** The standard properties of a schema. */
  export interface Props<Input = unknown, Output = Input> {
    readonly version: 1;
    readonly vendor: string;
    readonly validate: (value: unknown) => Result<Output> | Promise<Result<Output>>;
    readonly types?: Types<Input, Output> | undefined;
  }
  /** The result of a validation. */
  export type Result<Output> = SuccessResult<Output> | FailureResult;
  /** A successful validation. */
  export interface SuccessResult<Output> {
    readonly value: Output;
    readonly issues?: undefined;
  }
  /** A failed validation. */
  export interface FailureResult {
    readonly issues: ReadonlyArray<Issue>;
  }
  /** One problem found by a validation. */
  export interface Issue {
    readonly message: string;
    readonly path?: ReadonlyArray<PropertyKey | PathSegment> | undefined;
  }
  /** A segment of an issue's path. */
  export interface PathSegment {
    readonly key: PropertyKey;
  }
  /** The input and output types a schema carries. */
  export interface Types<Input = unknown, Output = Input> {
    readonly input: Input;
    readonly output: Output;
  }
  /** The input type of a schema. */
  export type InferInput<S extends StandardSchemaV1> = NonNullable<S["~standard"]["types"]>["input"];
  /** The output type of a schema. */
  export type InferOutput<S extends StandardSchemaV1> = NonNullable<S["~standard"]["types"]>["output"];
}

/** The type a schema produces, or `unknown` when there is no schema. */
export type Infer<S> = S extends StandardSchemaV1 ? StandardSchemaV1.InferOutput<S> : unknown;

/** The type a schema accepts, or `unknown` when there is no schema. */
export type InferIn<S> = S extends StandardSchemaV1 ? StandardSchemaV1.InferInput<S> : unknown;

/**
 * Validates `value` against `schema`; returns the schema's output or throws a {@linkcode ValidationError}
 * that lists each issue with its path.
 */
export async function validate<S extends StandardSchemaV1>(
  schema: S,
  value: unknown,
  what: string,
): Promise<StandardSchemaV1.InferOutput<S>> {
  return await validateNow(schema, value, what);
}

/**
 * As {@linkcode validate}, without a promise when the schema answers synchronously (most do): the value, or a
 * thrown {@linkcode ValidationError}; a promise only for a schema that returned one.
 */
export function validateNow<S extends StandardSchemaV1>(
  schema: S,
  value: unknown,
  what: string,
): StandardSchemaV1.InferOutput<S> | Promise<StandardSchemaV1.InferOutput<S>> {
  const result = schema["~standard"].validate(value);
  if (result instanceof Promise) return result.then((settled) => outcome(settled, what));
  return outcome(result, what);
}

function outcome<O>(result: StandardSchemaV1.Result<O>, what: string): O {
  if (result.issues) {
    const issues = result.issues.map((issue) => ({
      message: issue.message,
      path: issue.path?.map((p) => (typeof p === "object" ? p.key : p)),
    }));
    const detail = issues
      .map((i) => (i.path?.length ? `${i.path.join(".")}: ${i.message}` : i.message))
      .join("; ");
    throw new ValidationError(`${what} failed its schema: ${detail}`, issues);
  }
  return result.value;
}

/** Whether `value` is a Standard Schema. */
export function isSchema(value: unknown): value is StandardSchemaV1 {
  return typeof value === "object" && value !== null && "~standard" in value;
}

/**
 * A schema that checks nothing and types the body as `T`: an explicit, visible cast for a subscriber whose
 * producers you trust, where a handler without a schema gets `unknown`. Prefer a real schema (arktype, zod,
 * valibot): it rejects bad input with a clear error instead of letting it reach the handler.
 *
 * @example
 * ```ts
 * import { memory, unchecked } from "@sluice/core";
 * const broker = memory();
 * broker.subscriber("numbers", { schema: unchecked<number>() }).handle((n) => n * 2);
 * ```
 */
export function unchecked<T>(): StandardSchemaV1<T, T> {
  return {
    "~standard": {
      version: 1,
      vendor: "sluice-unchecked",
      validate: (value) => ({ value: value as T }),
    },
  };
}
