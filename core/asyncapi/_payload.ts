/**
 * Payload schemas: a validator's schema turned into JSON Schema through the Standard JSON Schema interface
 * (`~standard.jsonSchema`, https://standardschema.dev/json-schema), which arktype, zod and valibot implement, so the core
 * imports none of them. The schemas go to `components.schemas`, their `$defs` beside them, with every local
 * `$ref` rewritten to point there: inside an AsyncAPI document a `$ref` is resolved against the document.
 *
 * @module
 */

import type { StandardSchemaV1 } from "../schema.ts";
import { Ids, pointer, stableJson } from "./_names.ts";
import type { JsonSchema } from "./types.ts";

/** The converter of the Standard JSON Schema interface, which a schema's `~standard` may carry. */
interface JsonSchemaConverter {
  readonly input: (options: { readonly target: string }) => unknown;
  readonly output: (options: { readonly target: string }) => unknown;
}

/** The JSON Schema dialects asked for, the first one first; AsyncAPI 3.0's own schemas are draft-07. */
const TARGETS = ["draft-2020-12", "draft-07"] as const;

/** A schema converted, or why it could not be. */
export type Conversion =
  | { readonly schema: JsonSchema; readonly problem?: undefined }
  | { readonly schema?: undefined; readonly problem: string };

/**
 * The JSON Schema of what `schema` accepts (`input`, what a subscriber reads) or produces (`output`, what a
 * publisher sends). `unchecked<T>()` converts to an untyped payload without a problem: it is a visible cast.
 */
export function convert(schema: StandardSchemaV1, io: "input" | "output"): Conversion {
  const standard = schema["~standard"] as StandardSchemaV1["~standard"] & {
    jsonSchema?: JsonSchemaConverter;
  };
  if (standard.vendor === "sluice-unchecked") return { schema: {} };
  const converter = standard.jsonSchema;
  if (typeof converter?.[io] !== "function") {
    return {
      problem: `its validator (${standard.vendor}) does not implement Standard JSON Schema ` +
        "(~standard.jsonSchema): arktype 2.1.28+ and zod 4.2+ do, valibot through toStandardJsonSchema()",
    };
  }
  let first: unknown;
  for (const target of TARGETS) {
    try {
      const result = converter[io]({ target });
      if (result && typeof result === "object" && !Array.isArray(result)) {
        return { schema: result as JsonSchema };
      }
      first ??= new Error(`it gave ${JSON.stringify(result)} instead of a schema object`);
    } catch (error) {
      first ??= error;
    }
  }
  const reason = first instanceof Error ? first.message : String(first);
  return { problem: `${standard.vendor} cannot convert it to JSON Schema: ${reason}` };
}

/** The content type a payload schema implies: text for a string, JSON for anything else. */
export function contentTypeOf(schema: JsonSchema): string {
  return schema.type === "string" ? "text/plain" : "application/json";
}

/** The schemas of `components.schemas`, each added once however often it is used. */
export class Schemas {
  /** The schemas by name. */
  readonly entries: Record<string, JsonSchema> = {};
  readonly #names = new Map<string, string>();
  readonly #ids = new Ids("");

  /** Adds a converted schema under a name made from `base` (unless an equal one is there); returns the name. */
  add(schema: JsonSchema, base: string): string {
    const text = stableJson(schema);
    const known = this.#names.get(text);
    if (known) return known;
    const name = this.#ids.take(base);
    this.#names.set(text, name);
    const { $defs, definitions, ...root } = schema as Record<string, unknown>;
    const defs = { ...asObject(definitions), ...asObject($defs) };
    const hoisted = new Map(Object.keys(defs).map((def) => [def, this.#ids.take(`${name}.${safe(def)}`)]));
    const ref = (target: string): string => {
      if (!target.startsWith("#")) return target;
      const path = target.slice(1);
      const def = /^\/(?:\$defs|definitions)\/([^/]*)(.*)$/.exec(path);
      const moved = def && hoisted.get(def[1]!.replace(/~1/g, "/").replace(/~0/g, "~"));
      return moved
        ? `#/components/schemas/${pointer(moved)}${def[2]}`
        : `#/components/schemas/${pointer(name)}${path}`;
    };
    this.entries[name] = rewrite(root, ref) as JsonSchema;
    for (const [def, id] of hoisted) this.entries[id] = rewrite(defs[def], ref) as JsonSchema;
    return name;
  }
}

function asObject(value: unknown): Record<string, unknown> {
  return value && typeof value === "object" && !Array.isArray(value) ? value as Record<string, unknown> : {};
}

function safe(name: string): string {
  return name.replace(/[^A-Za-z0-9_.-]+/g, "_") || "_";
}

/** A copy of `value` with every `$ref` string passed through `ref`. */
function rewrite(value: unknown, ref: (target: string) => string): unknown {
  if (Array.isArray(value)) return value.map((item) => rewrite(item, ref));
  if (!value || typeof value !== "object") return value;
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) {
    out[key] = key === "$ref" && typeof item === "string" ? ref(item) : rewrite(item, ref);
  }
  return out;
}
