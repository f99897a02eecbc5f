/**
 * Differences between two JSON Schemas, as rules that say which side they break: a message the app receives
 * is broken for its producers when it accepts less, a message the app sends is broken for its consumers when
 * it may carry more (or drops what they read).
 *
 * @module
 */

import { stableJson } from "./_names.ts";
import type { Resolve } from "./_refs.ts";

/** Which way a message travels, seen from the app: it `receive`s it (others produce) or `send`s it. */
export type Direction = "receive" | "send";

/** The kinds of schema difference. */
export type SchemaRule =
  | "property-removed"
  | "property-added"
  | "required-property-added"
  | "property-required"
  | "property-optional"
  | "type-narrowed"
  | "type-widened"
  | "type-changed"
  | "enum-value-removed"
  | "enum-value-added"
  | "constraint-tightened"
  | "constraint-loosened"
  | "schema-changed";

/** The directions in which each rule breaks the other side. */
const BREAKS: Readonly<Record<SchemaRule, readonly Direction[]>> = {
  "property-removed": ["receive", "send"],
  "property-added": [],
  "required-property-added": ["receive"],
  "property-required": ["receive"],
  "property-optional": ["send"],
  "type-narrowed": ["receive"],
  "type-widened": ["send"],
  "type-changed": ["receive", "send"],
  "enum-value-removed": ["receive"],
  "enum-value-added": ["send"],
  "constraint-tightened": ["receive"],
  "constraint-loosened": ["send"],
  "schema-changed": ["receive", "send"],
};

/** Whether a schema difference breaks the other side of a message travelling `direction`. */
export function breaks(rule: SchemaRule, direction: Direction): boolean {
  return BREAKS[rule].includes(direction);
}

/** One difference, at a path inside the schema (`.address.city`, `[]` for array items). */
export interface SchemaChange {
  readonly rule: SchemaRule;
  readonly path: string;
  readonly detail: string;
}

type Schema = Record<string, unknown>;

const ANNOTATIONS = new Set([
  "$schema",
  "$id",
  "$comment",
  "title",
  "description",
  "examples",
  "default",
  "deprecated",
  "readOnly",
  "writeOnly",
]);
const HANDLED = new Set([
  "type",
  "enum",
  "const",
  "properties",
  "required",
  "additionalProperties",
  "items",
  "anyOf",
  "oneOf",
]);
const LOWER = ["minimum", "exclusiveMinimum", "minLength", "minItems", "minProperties"];
const UPPER = ["maximum", "exclusiveMaximum", "maxLength", "maxItems", "maxProperties"];

function schemaOf(value: unknown): Schema {
  if (value === false) return { enum: [] };
  if (!value || typeof value !== "object" || Array.isArray(value)) return {};
  return Object.fromEntries(Object.entries(value).filter(([k]) => !ANNOTATIONS.has(k)));
}

function typesOf(schema: Schema): Set<string> | undefined {
  const type = schema.type;
  if (typeof type === "string") return new Set([type]);
  return Array.isArray(type) ? new Set(type.map(String)) : undefined;
}

function covers(types: Set<string>, type: string): boolean {
  return types.has(type) || (type === "integer" && types.has("number"));
}

function list(values: Iterable<string>): string {
  return [...values].join(", ");
}

/** Compares two schemas, each with its document's resolver. */
export function compareSchemas(before: unknown, after: unknown, ra: Resolve, rb: Resolve): SchemaChange[] {
  const changes: SchemaChange[] = [];
  const add = (rule: SchemaRule, path: string, detail: string): void =>
    void changes.push({ rule, path, detail });
  const seen = new Set<string>();

  /** A schema with every `$ref` inlined (to a depth), for comparing alternatives as a whole. */
  const canonical = (value: unknown, resolve: Resolve, depth = 0): unknown => {
    const resolved = resolve(value);
    if (Array.isArray(resolved)) return resolved.map((v) => canonical(v, resolve, depth + 1));
    if (!resolved || typeof resolved !== "object" || depth > 8) return resolved;
    const out: Schema = {};
    for (const [k, v] of Object.entries(schemaOf(resolved))) out[k] = canonical(v, resolve, depth + 1);
    return out;
  };

  const walk = (x: unknown, y: unknown, path: string): void => {
    const pair = `${stableJson((x as Schema | null)?.$ref)}|${stableJson((y as Schema | null)?.$ref)}`;
    // A pair of references is compared once: recursive schemas end, and a shared one is reported once.
    if (pair !== "undefined|undefined") {
      if (seen.has(pair)) return;
      seen.add(pair);
    }
    const a = schemaOf(ra(x));
    const b = schemaOf(rb(y));
    if (Object.keys(a).length === 0 || Object.keys(b).length === 0) {
      if (Object.keys(a).length > 0) add("type-widened", path, "no longer has a schema");
      if (Object.keys(b).length > 0) add("type-narrowed", path, "has a schema now");
      return;
    }
    const unionA = (a.anyOf ?? a.oneOf) as unknown[] | undefined;
    const unionB = (b.anyOf ?? b.oneOf) as unknown[] | undefined;
    if (unionA || unionB) {
      const branches = (s: Schema, union: unknown[] | undefined, resolve: Resolve): Set<string> =>
        new Set((union ?? [s]).map((branch) => stableJson(canonical(branch, resolve))));
      const ba = branches(a, unionA, ra);
      const bb = branches(b, unionB, rb);
      const lost = [...ba].filter((s) => !bb.has(s));
      const gained = [...bb].filter((s) => !ba.has(s));
      if (lost.length > 0) add("type-narrowed", path, `alternatives removed: ${list(lost)}`);
      if (gained.length > 0) add("type-widened", path, `alternatives added: ${list(gained)}`);
      return;
    }
    const ta = typesOf(a);
    const tb = typesOf(b);
    if (ta && tb) {
      const lost = [...ta].filter((t) => !covers(tb, t));
      const gained = [...tb].filter((t) => !covers(ta, t));
      const from = `from ${list(ta)} to ${list(tb)}`;
      if (lost.length > 0 && gained.length > 0) return add("type-changed", path, `type changed ${from}`);
      if (lost.length > 0) add("type-narrowed", path, `type narrowed ${from}`);
      if (gained.length > 0) add("type-widened", path, `type widened ${from}`);
    } else if (tb) add("type-narrowed", path, `type is ${list(tb)} now`);
    else if (ta) add("type-widened", path, `type ${list(ta)} no longer required`);
    values(a, b, path);
    bounds(a, b, path);
    properties(a, b, path);
    if (a.items !== undefined || b.items !== undefined) {
      if (Array.isArray(a.items) || Array.isArray(b.items)) {
        if (stableJson(a.items) !== stableJson(b.items)) add("schema-changed", `${path}[]`, "items changed");
      } else walk(a.items ?? {}, b.items ?? {}, `${path}[]`);
    }
    const rest = (s: Schema, resolve: Resolve): Record<string, string> =>
      Object.fromEntries(
        Object.entries(s)
          .filter(([k]) => !HANDLED.has(k) && !LOWER.includes(k) && !UPPER.includes(k))
          .map(([k, v]) => [k, stableJson(canonical(v, resolve))]),
      );
    const [restA, restB] = [rest(a, ra), rest(b, rb)];
    const changed = [...new Set([...Object.keys(restA), ...Object.keys(restB)])].filter((k) =>
      restA[k] !== restB[k]
    );
    if (changed.length > 0) add("schema-changed", path, `${list(changed)} changed`);
  };

  const values = (a: Schema, b: Schema, path: string): void => {
    const of = (s: Schema): Set<string> | undefined =>
      Array.isArray(s.enum)
        ? new Set(s.enum.map((v) => stableJson(v)))
        : "const" in s
        ? new Set([stableJson(s.const)])
        : undefined;
    const va = of(a);
    const vb = of(b);
    if (va && vb) {
      const removed = [...va].filter((v) => !vb.has(v));
      const added = [...vb].filter((v) => !va.has(v));
      if (removed.length > 0) add("enum-value-removed", path, `enum values removed: ${list(removed)}`);
      if (added.length > 0) add("enum-value-added", path, `enum values added: ${list(added)}`);
    } else if (vb) add("constraint-tightened", path, `limited to ${list(vb)} now`);
    else if (va) add("constraint-loosened", path, `no longer limited to ${list(va)}`);
  };

  const bounds = (a: Schema, b: Schema, path: string): void => {
    for (const [keys, lower] of [[LOWER, true], [UPPER, false]] as const) {
      for (const key of keys) {
        const x = a[key];
        const y = b[key];
        if (x === y) continue;
        if (typeof x !== "number") add("constraint-tightened", path, `${key} ${y} added`);
        else if (typeof y !== "number") add("constraint-loosened", path, `${key} ${x} removed`);
        else if ((y > x) === lower) add("constraint-tightened", path, `${key} changed from ${x} to ${y}`);
        else add("constraint-loosened", path, `${key} changed from ${x} to ${y}`);
      }
    }
  };

  const properties = (a: Schema, b: Schema, path: string): void => {
    const pa = (a.properties ?? {}) as Schema;
    const pb = (b.properties ?? {}) as Schema;
    const requiredA = new Set((a.required ?? []) as string[]);
    const requiredB = new Set((b.required ?? []) as string[]);
    for (const key of Object.keys(pa)) {
      const at = `${path}.${key}`;
      if (!(key in pb)) {
        add("property-removed", at, "property removed");
        continue;
      }
      walk(pa[key], pb[key], at);
      if (requiredA.has(key) && !requiredB.has(key)) add("property-optional", at, "optional now");
      if (!requiredA.has(key) && requiredB.has(key)) add("property-required", at, "required now");
    }
    for (const key of Object.keys(pb)) {
      if (key in pa) continue;
      if (requiredB.has(key)) add("required-property-added", `${path}.${key}`, "required property added");
      else add("property-added", `${path}.${key}`, "property added");
    }
    const closed = (s: Schema): boolean => s.additionalProperties === false;
    if (!closed(a) && closed(b)) add("constraint-tightened", path, "no other properties allowed now");
    if (closed(a) && !closed(b)) add("constraint-loosened", path, "other properties allowed now");
    const extraA = a.additionalProperties;
    const extraB = b.additionalProperties;
    if (typeof extraA === "object" && typeof extraB === "object") walk(extraA, extraB, `${path}.*`);
  };

  walk(before, after, "");
  return changes;
}
